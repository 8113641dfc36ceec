# Credentials providers, profile files, region and endpoint resolution.
target_sources(agents_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/ca_bundle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/caching.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chain.cpp
  ${CMAKE_CURRENT_LIST_DIR}/common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/container.cpp
  ${CMAKE_CURRENT_LIST_DIR}/credentials.cpp
  ${CMAKE_CURRENT_LIST_DIR}/endpoint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/environment.cpp
  ${CMAKE_CURRENT_LIST_DIR}/imds.cpp
  ${CMAKE_CURRENT_LIST_DIR}/instance_metadata.cpp
  ${CMAKE_CURRENT_LIST_DIR}/partition.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/region.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/web_identity.cpp
)
