# Each fuzz target's seed corpus and regression inputs, replayed with the regular compiler through
# the target's entry point (tests/fuzz/replay_main.cpp): no libFuzzer or clang needed. Labelled
# unit, so the sanitizer build (asan preset) replays them too.
set(AGENTS_FUZZ_TARGETS state_json dynamodb_response profile_file api_gateway chunk_set)
set(AGENTS_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
foreach(target IN LISTS AGENTS_FUZZ_TARGETS)
  add_executable(fuzz_replay_${target} ${AGENTS_FUZZ_DIR}/${target}_fuzzer.cpp ${AGENTS_FUZZ_DIR}/replay_main.cpp)
  target_include_directories(fuzz_replay_${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(fuzz_replay_${target} PRIVATE agents::sdk simdjson::simdjson zstd::libzstd_shared)
  agents_enable_warnings(fuzz_replay_${target})
  add_test(NAME fuzz_corpus_${target}
           COMMAND fuzz_replay_${target} ${AGENTS_FUZZ_DIR}/corpus/${target} ${AGENTS_FUZZ_DIR}/regressions/${target})
  set_tests_properties(fuzz_corpus_${target} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
