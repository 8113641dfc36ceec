# Chat models: the interface, the OpenAI-protocol client (libcurl stays private) and the offline model.
target_sources(agents_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/chat_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/offline_chat_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/openai_chat_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/openai_codec.cpp
)
