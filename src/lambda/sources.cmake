# The Lambda custom runtime (Runtime API loop) and API Gateway proxy events: no new dependencies
# (the Runtime API is reached through the http module's libcurl client).
target_sources(agents_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/api_gateway.cpp
  ${CMAKE_CURRENT_LIST_DIR}/runtime.cpp
)
