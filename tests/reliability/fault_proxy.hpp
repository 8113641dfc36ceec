// A fault-injecting HTTP/1.1 proxy on 127.0.0.1 between a DynamoDB client and a real local server.
// Per request it passes through, answers throttling or 5xx, resets the connection before or after
// forwarding (the write may or may not have happened), stalls past the client's timeout, or damages
// the body so that x-amz-crc32 no longer matches. Decisions come from one seeded generator.
// Bounded: it stops forwarding (closes every connection) after `max_requests` or `max_duration`.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace agents::testing {

enum class Fault : int {
  kPass = 0,
  kThrottle,     ///< 400 ProvisionedThroughputExceededException, not forwarded
  kHttp500,      ///< forwarded (applied), then answered 500 InternalServerError
  kHttp503,      ///< not forwarded, answered 503 ServiceUnavailable
  kResetBefore,  ///< connection reset (RST) before forwarding: nothing applied
  kResetAfter,   ///< forwarded (applied), then the connection reset without an answer
  kStall,        ///< forwarded (applied), then no answer for `stall`, then reset
  kCorrupt,      ///< forwarded (applied), answer with one body byte flipped (x-amz-crc32 kept)
};
inline constexpr int kFaultKinds = 8;

inline const char* fault_name(Fault f) {
  static constexpr const char* kNames[kFaultKinds] = {
      "pass", "throttle", "http_500", "http_503", "reset_before", "reset_after", "stall", "corrupt_body"};
  return kNames[static_cast<int>(f)];
}

struct FaultMix {
  double fault_rate = 0.2;  ///< share of requests that get a fault
  /// Relative weights of the faults, indexed by Fault (kPass ignored).
  std::array<int, kFaultKinds> weights = {0, 4, 4, 4, 4, 4, 1, 4};
  std::chrono::milliseconds stall{450};
  std::uint64_t seed = 1;
  std::uint64_t max_requests = 1'000'000;
  std::chrono::seconds max_duration{600};
};

class FaultProxy {
 public:
  FaultProxy(std::string upstream_host, int upstream_port, FaultMix mix)
      : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port), mix_(mix), rng_(mix.seed) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
      throw std::runtime_error("fault proxy: bind/listen on 127.0.0.1 failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    started_ = std::chrono::steady_clock::now();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  /// `endpoint`: "http://host:port" of a local server.
  FaultProxy(const std::string& endpoint, FaultMix mix)
      : FaultProxy(host_of(endpoint), port_of(endpoint), mix) {}

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  ~FaultProxy() { stop(); }

  void stop() {
    if (stopping_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    if (accept_thread_.joinable()) accept_thread_.join();
    std::unique_lock lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    idle_.wait(lock, [this] { return open_fds_.empty(); });
  }

  /// Faults on (the mix) or off (every request passes through).
  void set_faults_enabled(bool on) { faults_on_ = on; }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::map<std::string, std::uint64_t> counts() const {
    std::map<std::string, std::uint64_t> out;
    for (int i = 0; i < kFaultKinds; ++i) out[fault_name(static_cast<Fault>(i))] = counts_[i].load();
    return out;
  }
  std::uint64_t count(Fault f) const { return counts_[static_cast<int>(f)].load(); }
  std::uint64_t requests() const { return requests_.load(); }
  std::uint64_t faults() const { return requests_.load() - counts_[0].load(); }
  bool exhausted() const { return exhausted_.load(); }

 private:
  struct HttpRequest {
    std::string method, path;
    httplib::Headers headers;
    std::string body;
  };

  static std::uint32_t crc_of(const std::string& body) {
    return static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  }

  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) break;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mu_);
      if (stopping_) {
        ::close(fd);
        break;
      }
      open_fds_.push_back(fd);
      // Detached: thousands of short connections come and go; stop() waits for open_fds_ to empty.
      std::thread([this, fd] { serve(fd); }).detach();
    }
  }

  Fault pick() {
    std::lock_guard lock(rng_mu_);
    if (!faults_on_) return Fault::kPass;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (unit(rng_) >= mix_.fault_rate) return Fault::kPass;
    int total = 0;
    for (int i = 1; i < kFaultKinds; ++i) total += mix_.weights[static_cast<std::size_t>(i)];
    if (total <= 0) return Fault::kPass;
    int r = static_cast<int>(rng_() % static_cast<unsigned>(total));
    for (int i = 1; i < kFaultKinds; ++i) {
      r -= mix_.weights[static_cast<std::size_t>(i)];
      if (r < 0) return static_cast<Fault>(i);
    }
    return Fault::kPass;
  }

  // Reads one request; false when the peer closed or sent something unparsable.
  static bool read_request(int fd, std::string& buffer, HttpRequest& out) {
    char chunk[16384];
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    std::string head = buffer.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
    out.method = request_line.substr(0, sp1);
    out.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    out.headers.clear();
    std::size_t content_length = 0;
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      std::size_t eol = head.find("\r\n", pos);
      if (eol == std::string::npos) eol = head.size();
      std::string line = head.substr(pos, eol - pos);
      pos = eol + 2;
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(value.begin());
      if (strcasecmp(name.c_str(), "Content-Length") == 0) content_length = std::stoul(value);
      out.headers.emplace(std::move(name), std::move(value));
    }
    std::size_t body_start = head_end + 4;
    while (buffer.size() < body_start + content_length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    out.body = buffer.substr(body_start, content_length);
    buffer.erase(0, body_start + content_length);
    return true;
  }

  static bool send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  static const char* reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 400:
        return "Bad Request";
      case 500:
        return "Internal Server Error";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }

  static bool respond(int fd, int status, const std::string& body, const httplib::Headers& extra,
                      std::optional<std::uint32_t> crc) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    out += "Content-Type: application/x-amz-json-1.0\r\n";
    for (const auto& [name, value] : extra) out += name + ": " + value + "\r\n";
    if (crc) out += "x-amz-crc32: " + std::to_string(*crc) + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out += body;
    return send_all(fd, out);
  }

  // An abortive close (the caller closes the socket next): the peer sees a reset, not an orderly end.
  static void reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }

  static std::string error_body(const char* type, const char* message) {
    return std::string("{\"__type\":\"com.amazonaws.dynamodb.v20120810#") + type + "\",\"message\":\"" +
           message + " (injected by the fault proxy)\"}";
  }

  void serve_requests(int fd) {
    httplib::Client upstream(upstream_host_, upstream_port_);
    upstream.set_keep_alive(true);
    upstream.set_tcp_nodelay(true);
    upstream.set_read_timeout(30, 0);
    upstream.set_connection_timeout(5, 0);
    std::string buffer;
    HttpRequest req;
    while (!stopping_ && read_request(fd, buffer, req)) {
      std::uint64_t n = ++requests_;
      if (n > mix_.max_requests || std::chrono::steady_clock::now() - started_ > mix_.max_duration) {
        exhausted_ = true;  // bounded: stop serving
        reset(fd);
        break;
      }
      Fault fault = pick();
      ++counts_[static_cast<int>(fault)];
      if (fault == Fault::kThrottle) {
        std::string body =
            error_body("ProvisionedThroughputExceededException",
                       "The level of configured provisioned throughput for the table was exceeded");
        if (!respond(fd, 400, body, {{"x-amzn-RequestId", "PROXY" + std::to_string(n)}}, crc_of(body))) break;
        continue;
      }
      if (fault == Fault::kHttp503) {
        std::string body = error_body("ServiceUnavailable", "Service unavailable");
        if (!respond(fd, 503, body, {{"x-amzn-RequestId", "PROXY" + std::to_string(n)}}, crc_of(body))) break;
        continue;
      }
      if (fault == Fault::kResetBefore) {
        reset(fd);
        break;
      }
      httplib::Headers headers;
      std::string content_type = "application/x-amz-json-1.0";
      for (const auto& [name, value] : req.headers) {
        if (strcasecmp(name.c_str(), "Host") == 0 || strcasecmp(name.c_str(), "Content-Length") == 0 ||
            strcasecmp(name.c_str(), "Connection") == 0) {
          continue;
        }
        if (strcasecmp(name.c_str(), "Content-Type") == 0) {
          content_type = value;
          continue;
        }
        headers.emplace(name, value);
      }
      auto result = upstream.Post(req.path, headers, req.body, content_type);
      if (!result) {
        reset(fd);  // upstream unreachable: the client sees a connection fault
        break;
      }
      if (fault == Fault::kResetAfter) {
        reset(fd);
        break;
      }
      if (fault == Fault::kStall) {
        for (auto waited = std::chrono::milliseconds(0); waited < mix_.stall && !stopping_;
             waited += std::chrono::milliseconds(10)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        reset(fd);
        break;
      }
      httplib::Headers out_headers;
      std::optional<std::uint32_t> crc;
      for (const auto& [name, value] : result->headers) {
        if (strcasecmp(name.c_str(), "x-amzn-RequestId") == 0) out_headers.emplace(name, value);
        if (strcasecmp(name.c_str(), "x-amz-crc32") == 0) crc = static_cast<std::uint32_t>(std::stoul(value));
      }
      std::string body = result->body;
      int status = result->status;
      if (fault == Fault::kHttp500) {
        body = error_body("InternalServerError", "Internal server error");
        status = 500;
        crc = crc_of(body);
      } else if (fault == Fault::kCorrupt) {
        // DynamoDB Local sends no checksum on errors: add the true one, so the damage is detectable.
        if (!crc) crc = crc_of(body);
        if (body.empty()) body = " ";
        std::size_t at;
        {
          std::lock_guard lock(rng_mu_);
          at = rng_() % body.size();
        }
        body[at] = static_cast<char>(body[at] ^ 0x20);
        if (crc_of(body) == *crc) body[at] = static_cast<char>(body[at] ^ 0x01);
      }
      if (!respond(fd, status, body, out_headers, crc)) break;
    }
  }

  void serve(int fd) {
    serve_requests(fd);
    std::lock_guard lock(mu_);
    for (auto it = open_fds_.begin(); it != open_fds_.end(); ++it) {
      if (*it == fd) {
        open_fds_.erase(it);
        break;
      }
    }
    ::close(fd);
    idle_.notify_all();
  }

  static std::string host_of(const std::string& endpoint) {
    auto start = endpoint.find("://");
    std::string rest = start == std::string::npos ? endpoint : endpoint.substr(start + 3);
    return rest.substr(0, rest.rfind(':'));
  }
  static int port_of(const std::string& endpoint) {
    auto colon = endpoint.rfind(':');
    if (colon == std::string::npos)
      throw std::runtime_error("fault proxy: endpoint needs a port: " + endpoint);
    return std::stoi(endpoint.substr(colon + 1));
  }

  std::string upstream_host_;
  int upstream_port_;
  FaultMix mix_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> faults_on_{true};
  std::atomic<bool> exhausted_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::array<std::atomic<std::uint64_t>, kFaultKinds> counts_{};
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::vector<int> open_fds_;
  std::thread accept_thread_;
};

}  // namespace agents::testing
