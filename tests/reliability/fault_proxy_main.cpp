// The fault proxy as a program, for trying a client by hand against a local server:
//   fault_proxy --upstream http://127.0.0.1:PORT [--seed N] [--fault-rate 0.2] [--stall-ms 450]
//               [--max-requests N] [--max-seconds S]
// Prints "listening http://127.0.0.1:P", then serves until a bound is reached; prints the counts.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "reliability/fault_proxy.hpp"

int main(int argc, char** argv) {
  std::string upstream;
  agents::testing::FaultMix mix;
  mix.max_requests = 10'000;
  mix.max_duration = std::chrono::seconds(60);
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--upstream")
      upstream = v;
    else if (k == "--seed")
      mix.seed = std::stoull(v);
    else if (k == "--fault-rate")
      mix.fault_rate = std::stod(v);
    else if (k == "--stall-ms")
      mix.stall = std::chrono::milliseconds(std::stol(v));
    else if (k == "--max-requests")
      mix.max_requests = std::stoull(v);
    else if (k == "--max-seconds")
      mix.max_duration = std::chrono::seconds(std::stol(v));
    else {
      std::cerr << "fault_proxy: unknown option " << k << "\n";
      return 2;
    }
  }
  if (upstream.empty()) {
    std::cerr << "usage: fault_proxy --upstream http://127.0.0.1:PORT [--seed N] [--fault-rate R] "
                 "[--stall-ms MS] [--max-requests N] [--max-seconds S]\n";
    return 2;
  }
  agents::testing::FaultProxy proxy(upstream, mix);
  std::cout << "listening " << proxy.url() << std::endl;
  const auto started = std::chrono::steady_clock::now();
  while (!proxy.exhausted() && std::chrono::steady_clock::now() - started < mix.max_duration &&
         proxy.requests() < mix.max_requests) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  proxy.stop();
  std::cout << proxy.requests() << " requests;";
  for (const auto& [kind, n] : proxy.counts()) std::cout << " " << kind << "=" << n;
  std::cout << std::endl;
  return 0;
}
