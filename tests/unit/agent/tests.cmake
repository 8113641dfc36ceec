# Tests of the chat models (OpenAI protocol against a loopback server, the offline model) and the
# agent runtime; the DynamoDB Local end-to-end test is labelled integration.
agents_add_test(model_unit_tests LABEL unit SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/../model/openai_chat_model_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../model/openai_codec_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../model/offline_chat_model_test.cpp
)
agents_add_test(agent_unit_tests LABEL unit SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/agent_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/builtin_tools_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hitl_test.cpp
)
agents_add_test(agent_integration_tests LABEL integration SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/../../integration/agent_dynamodb_test.cpp
)
