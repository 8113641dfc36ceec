# Tests of credentials providers, profile files, region and endpoint resolution.
# TSAN: the refreshing cache (single-flight refresh, waiters).
agents_add_test(aws_credentials_tests LABEL unit TSAN "^CachingProvider\\." SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/caching_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chain_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/container_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/credentials_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/endpoint_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/imds_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_file_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/profile_provider_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/region_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/web_identity_test.cpp
)
