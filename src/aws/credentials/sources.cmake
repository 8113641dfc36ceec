# Credentials providers and the profile files they read (region, endpoint and CA bundle
# resolution, which read the same files, are beside this folder, in src/aws/).
target_sources(agents_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/caching.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chain.cpp
  ${CMAKE_CURRENT_LIST_DIR}/common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/container.cpp
  ${CMAKE_CURRENT_LIST_DIR}/credentials.cpp
  ${CMAKE_CURRENT_LIST_DIR}/environment.cpp
  ${CMAKE_CURRENT_LIST_DIR}/imds.cpp
  ${CMAKE_CURRENT_LIST_DIR}/instance_metadata.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/web_identity.cpp
)
