# The reliability and security suite (docs/reliability.md): a fault-injecting proxy, concurrent
# writer processes, SIGKILL mid-save, hostile stored items, secrets in outputs, and the fuzz
# targets' corpora replayed as regression tests. Bounded here; long variants: scripts/soak,
# scripts/fuzz, scripts/reliability-long.
set(AGENTS_RELIABILITY_DIR ${CMAKE_CURRENT_LIST_DIR})
option(AGENTS_BUILD_FUZZERS "Build the libFuzzer targets (clang; see the fuzz preset and scripts/fuzz)" OFF)

add_executable(reliability_worker ${AGENTS_RELIABILITY_DIR}/reliability_worker.cpp)
target_link_libraries(reliability_worker PRIVATE agents::sdk Threads::Threads)
target_include_directories(reliability_worker PRIVATE ${PROJECT_SOURCE_DIR}/tests)
agents_enable_warnings(reliability_worker)

add_executable(fault_proxy ${AGENTS_RELIABILITY_DIR}/fault_proxy_main.cpp)
target_link_libraries(fault_proxy PRIVATE PkgConfig::CPP_HTTPLIB ZLIB::ZLIB Threads::Threads)
target_include_directories(fault_proxy PRIVATE ${PROJECT_SOURCE_DIR}/tests)
agents_enable_warnings(fault_proxy)

# TSAN: four writer threads through the fault proxy; not the shared chunked thread, whose 600 KB
# saves through a 400 ms timeout do not finish in its 60 s under ThreadSanitizer.
agents_add_test(reliability_fault_tests LABEL integration TSAN "FaultMix|SharingOneIncrementalThread"
  SOURCES ${AGENTS_RELIABILITY_DIR}/fault_injection_test.cpp LIBS ZLIB::ZLIB)
agents_add_test(reliability_process_tests LABEL integration
  SOURCES ${AGENTS_RELIABILITY_DIR}/processes_test.cpp LIBS ZLIB::ZLIB)
target_compile_definitions(reliability_process_tests PRIVATE
  AGENTS_RELIABILITY_WORKER="$<TARGET_FILE:reliability_worker>")
add_dependencies(reliability_process_tests reliability_worker)
agents_add_test(reliability_hostile_item_tests LABEL integration
  SOURCES ${AGENTS_RELIABILITY_DIR}/hostile_items_test.cpp LIBS zstd::libzstd_shared)
agents_add_test(reliability_secret_tests LABEL unit
  SOURCES ${AGENTS_RELIABILITY_DIR}/secrets_test.cpp)

# The whole CLI under fake secrets, every output grepped (needs the CLI and DynamoDB Local).
if(TARGET agents_cli)
  add_test(NAME reliability_cli_secrets COMMAND python3 ${AGENTS_RELIABILITY_DIR}/secrets_cli_test.py)
  set_tests_properties(reliability_cli_secrets PROPERTIES LABELS integration TIMEOUT 300
    ENVIRONMENT "AGENTS_CLI=$<TARGET_FILE:agents_cli>;AGENTS_TEST_BINARY_DIR=${CMAKE_BINARY_DIR}")
endif()

# Seed corpora and every crash input ever found, replayed through the fuzz targets' entry points
# with the regular compiler (no libFuzzer needed).
include(${PROJECT_SOURCE_DIR}/tests/fuzz/replay.cmake)
if(AGENTS_BUILD_FUZZERS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/fuzz ${CMAKE_BINARY_DIR}/tests/fuzz)
endif()
