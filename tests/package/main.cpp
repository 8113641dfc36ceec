// Compiles and links against the installed package and calls into it.
#include <agents/agents.hpp>
#include <iostream>

int main() {
  auto client = agents::http::make_curl_http_client();
  std::cout << "agents_sdk package OK: " << agents::error_code_name(agents::ErrorCode::kConflict) << "\n";
  return client ? 0 : 1;
}
