# The agent runtime: builder, tool-calling loop, human in the loop, built-in tools.
target_sources(agents_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/agent.cpp
  ${CMAKE_CURRENT_LIST_DIR}/builtin_tools.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tool.cpp
)
