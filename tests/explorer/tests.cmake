# The deterministic interleaving explorer of issue 15 (tests/explorer/explorer.hpp): writers, a
# deleter and the cleanup on one thread, stepped by a seeded scheduler through a transport that
# pauses and drops requests, against both local servers, and at the API level over the file and
# in-memory stores. Bounded here (LABEL integration); the long form is scripts/explore.
set(AGENTS_EXPLORER_DIR ${CMAKE_CURRENT_LIST_DIR})
agents_add_test(explorer_tests LABEL integration TSAN "."
  SOURCES ${AGENTS_EXPLORER_DIR}/explorer.cpp ${AGENTS_EXPLORER_DIR}/explorer_test.cpp
  LIBS simdjson::simdjson)
target_compile_definitions(explorer_tests PRIVATE
  AGENTS_EXPLORER_REGRESSIONS="${AGENTS_EXPLORER_DIR}/regressions.txt")
