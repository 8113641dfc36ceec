#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "agents/http/http_client.hpp"
#include "http/ca_file.hpp"
#include "http/socket_options.hpp"
#include "support/loopback_server.hpp"
#include "support/raw_tcp_server.hpp"

namespace agents::http {
namespace {

using agents::testing::LoopbackServer;
using agents::testing::RawTcpServer;
using namespace std::chrono_literals;

TEST(FindHeader, IsCaseInsensitive) {
  Headers h{{"X-Amz-Crc32", "1"}, {"content-type", "a"}};
  ASSERT_NE(find_header(h, "x-amz-crc32"), nullptr);
  EXPECT_EQ(*find_header(h, "Content-Type"), "a");
  EXPECT_EQ(find_header(h, "missing"), nullptr);
}

TEST(CurlHttpClient, ReturnsErrorStatusesAsResponses) {
  LoopbackServer srv;
  srv.server().Get(R"(/status/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.status = std::stoi(req.matches[1]);
    res.set_header("X-Test", "yes");
    res.set_content("body-" + req.matches[1].str(), "text/plain");
  });
  srv.start();
  auto client = make_curl_http_client();
  for (int code : {200, 400, 404, 500, 503}) {
    auto r = client->send({.method = "GET", .url = srv.url("/status/" + std::to_string(code))});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, code);
    EXPECT_EQ(r->body, "body-" + std::to_string(code));
    ASSERT_NE(r->header("x-test"), nullptr);
    EXPECT_EQ(*r->header("x-test"), "yes");
  }
}

TEST(CurlHttpClient, SendsLargeBodiesWithoutExpectContinueAndReceivesLargeBodies) {
  LoopbackServer srv;
  std::string seen_expect = "unset", seen_type = "unset";
  std::size_t seen_size = 0;
  srv.server().Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    seen_expect = req.get_header_value("Expect");
    seen_type = req.get_header_value("Content-Type");
    seen_size = req.body.size();
    res.set_content(req.body + req.body, "application/octet-stream");
  });
  srv.start();
  auto client = make_curl_http_client();
  std::string body(3 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  auto r = client->send({.method = "POST", .url = srv.url("/echo"), .body = body});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(seen_expect, "");  // libcurl would send "100-continue" for a body this size
  EXPECT_EQ(seen_type, "");    // and a form-encoded Content-Type nobody asked for
  EXPECT_EQ(seen_size, body.size());
  EXPECT_EQ(r->body, body + body);
}

TEST(CurlHttpClient, SendsMethodHeadersAndBodyAsGiven) {
  LoopbackServer srv;
  srv.server().Put("/put", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.method + "|" + req.get_header_value("X-Amz-Target") + "|" +
                        req.get_header_value("Content-Type") + "|" + req.body,
                    "text/plain");
  });
  srv.start();
  auto client = make_curl_http_client();
  auto r = client->send({.method = "PUT",
                         .url = srv.url("/put"),
                         .headers = {{"X-Amz-Target", "DynamoDB_20120810.GetItem"},
                                     {"Content-Type", "application/x-amz-json-1.0"}},
                         .body = "{\"a\":1}"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "PUT|DynamoDB_20120810.GetItem|application/x-amz-json-1.0|{\"a\":1}");
}

// A pooled handle keeps the options it was given once and gets the per-request ones again: one
// connection carries every method in turn, and nothing of one request leaks into the next
// (method, body, headers, timeout).
TEST(CurlHttpClient, OnePooledConnectionCarriesEveryMethodInTurn) {
  LoopbackServer srv;
  srv.server().set_keep_alive_max_count(100);
  std::set<int> client_ports;
  std::mutex mu;
  auto echo = [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu);
      client_ports.insert(req.remote_port);
    }
    if (req.path == "/slow") std::this_thread::sleep_for(600ms);
    res.set_header("X-Method", req.method);
    res.set_content(req.method + "|" + req.get_header_value("X-Step") + "|" + req.body, "text/plain");
  };
  srv.server().Post(".*", echo);
  srv.server().Get(".*", echo);
  srv.server().Put(".*", echo);
  srv.server().Delete(".*", echo);
  srv.start();
  auto client = make_curl_http_client({.max_idle_connections = 1});
  struct Step {
    std::string method;
    std::string body;
    std::string expected;
  };
  const std::vector<Step> steps = {
      {"POST", "one", "POST|0|one"},   {"GET", "", "GET|1|"}, {"HEAD", "", ""},
      {"PUT", "three", "PUT|3|three"}, {"GET", "", "GET|4|"}, {"DELETE", "", "DELETE|5|"},
      {"POST", "six", "POST|6|six"}};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Request request{.method = steps[i].method, .url = srv.url("/echo"), .body = steps[i].body};
    if (i != 2) request.headers.push_back({"X-Step", std::to_string(i)});
    auto r = client->send(request);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().message();
    EXPECT_EQ(r->body, steps[i].expected) << i;
    ASSERT_NE(r->header("X-Method"), nullptr) << i;
    EXPECT_EQ(*r->header("X-Method"), i == 2 ? "HEAD" : steps[i].method) << i;
  }
  // A request's own timeout applies to it alone.
  auto late = client->send({.url = srv.url("/slow"), .timeout = 200ms});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), ErrorCode::kTimeout);
  auto patient = client->send({.url = srv.url("/slow")});
  ASSERT_TRUE(patient.ok()) << patient.status().message();
  EXPECT_EQ(patient->body, "GET||");
  EXPECT_EQ(client_ports.size(), 2u);  // the timed-out connection is not reused, the rest share one
}

// The version comes from one place, the CMake project VERSION (agents/version.hpp).
TEST(CurlHttpClient, TheDefaultUserAgentNamesTheProjectVersion) {
  LoopbackServer srv;
  srv.server().Get("/ua", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_header_value("User-Agent"), "text/plain");
  });
  srv.start();
  auto r = make_curl_http_client()->send({.url = srv.url("/ua")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, std::string("agents-sdk-cpp/") + agents::kSdkVersion);
  EXPECT_EQ(agents::kSdkVersion, std::to_string(AGENTS_SDK_VERSION_MAJOR) + "." +
                                     std::to_string(AGENTS_SDK_VERSION_MINOR) + "." +
                                     std::to_string(AGENTS_SDK_VERSION_PATCH));
}

TEST(CurlHttpClient, SlowResponseIsATimeoutNamingTheEndpoint) {
  LoopbackServer srv;
  srv.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(1500ms);
    res.set_content("late", "text/plain");
  });
  srv.start();
  auto client = make_curl_http_client({.request_timeout = 200ms});
  auto r = client->send({.method = "GET", .url = srv.url("/slow")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kTimeout);
  EXPECT_NE(r.status().message().find(srv.url("/slow")), std::string::npos) << r.status().message();
  EXPECT_TRUE(r.status().details().transient);
  EXPECT_TRUE(r.status().details().outcome_unknown);
}

TEST(CurlHttpClient, ReusesOneKeepAliveConnection) {
  LoopbackServer srv;
  srv.server().set_keep_alive_max_count(100);  // cpp-httplib closes after 5 by default
  std::set<int> client_ports;
  std::mutex mu;
  srv.server().Get("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    client_ports.insert(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  srv.start();
  auto client = make_curl_http_client();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client->send({.url = srv.url()}).ok());
  EXPECT_EQ(client_ports.size(), 1u);
}

TEST(CurlHttpClient, ReconnectsWhenTheServerClosesTheConnection) {
  LoopbackServer srv;
  srv.server().set_keep_alive_max_count(1);  // server closes after every response
  std::set<int> client_ports;
  srv.server().Get("/", [&](const httplib::Request& req, httplib::Response& res) {
    client_ports.insert(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  srv.start();
  auto client = make_curl_http_client();
  for (int i = 0; i < 5; ++i) {
    auto r = client->send({.url = srv.url()});
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.status().message();
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(client_ports.size(), 5u);
}

TEST(CurlHttpClient, EightThreadsShareOneClient) {
  LoopbackServer srv;
  srv.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "text/plain");
  });
  srv.start();
  auto client = make_curl_http_client();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string body = "thread " + std::to_string(t) + " request " + std::to_string(i);
        auto r = client->send({.method = "POST", .url = srv.url("/echo"), .body = body});
        if (r.ok() && r->status == 200 && r->body == body) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 400);
}

TEST(CurlHttpClient, ConnectionRefusedIsATypedErrorNamingTheEndpoint) {
  int port;
  {
    RawTcpServer probe([](int) {});
    port = probe.port();
  }  // closed: nothing listens there now
  auto client = make_curl_http_client();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto r = client->send({.method = "POST", .url = url, .body = "{}"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  EXPECT_NE(r.status().message().find("refused"), std::string::npos) << r.status().message();
  EXPECT_FALSE(r.status().details().outcome_unknown);  // nothing was sent
}

TEST(CurlHttpClient, UnresolvableHostIsATypedDnsError) {
  auto client = make_curl_http_client({.connect_timeout = 3000ms});
  auto r = client->send({.url = "http://no-such-host.invalid/"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_NE(r.status().message().find("DNS"), std::string::npos) << r.status().message();
}

// The server answers the first request on a keep-alive connection, reads the second and closes
// without answering (it may have applied it). libcurl on its own resends such a request on a new
// connection; a request that must not be sent twice comes back as an outcome-unknown error.
TEST(CurlHttpClient, ARequestThatMustNotBeResentIsNeverSentTwice) {
  for (bool may_resend : {true, false}) {
    std::atomic<int> requests{0};
    RawTcpServer srv([&](int fd) {
      if (RawTcpServer::read_request_head(fd).empty()) return;  // a connection that sent nothing
      if (++requests == 2) return;  // read, maybe applied, never answered: the connection closes
      std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      ::send(fd, ok.data(), ok.size(), 0);
      if (requests == 1) {
        if (!RawTcpServer::read_request_head(fd).empty()) ++requests;  // the second, on the same connection
      }
    });
    auto client = make_curl_http_client();
    Request request{.method = "POST", .url = srv.url("/x"), .headers = {}, .body = "{}"};
    request.transport_may_resend = may_resend;
    ASSERT_TRUE(client->send(request).ok());
    auto second = client->send(request);
    if (may_resend) {
      EXPECT_TRUE(second.ok()) << "libcurl's own resend";
      EXPECT_EQ(requests.load(), 3);
    } else {
      ASSERT_FALSE(second.ok());
      EXPECT_TRUE(second.status().details().outcome_unknown) << second.status().message();
      EXPECT_EQ(requests.load(), 2) << "the request was sent again";
    }
  }
}

TEST(CurlHttpClient, ResetMidResponseIsATypedErrorWithUnknownOutcome) {
  RawTcpServer srv([](int fd) {
    RawTcpServer::read_request_head(fd);
    std::string partial = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly-a-few-bytes";
    ::send(fd, partial.data(), partial.size(), 0);
  });
  auto client = make_curl_http_client();
  auto r = client->send({.url = srv.url("/x")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_TRUE(r.status().details().outcome_unknown);
  EXPECT_TRUE(r.status().details().transient);
}

TEST(CurlHttpClient, ClientSocketsHaveNagleDisabled) {
  // The same function the client installs as libcurl's socket callback, applied to a real socket.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int before = -1;
  socklen_t len = sizeof before;
  ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &before, &len);
  EXPECT_EQ(before, 0);
  EXPECT_EQ(detail::set_low_latency_socket_options(fd), 0);
  int after = 0;
  ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &after, &len);
  EXPECT_NE(after, 0);
  ::close(fd);
}

// --- the CA bundle (http/ca_file.hpp) ----------------------------------------------------------

struct FakeSystem {
  std::map<std::string, std::string> env;
  std::set<std::string> files;
  const char* builtin = "/etc/ssl/certs/ca-certificates.crt";  // Debian's libcurl
  std::string choose(const std::string& configured = "") const {
    return detail::choose_ca_file(configured,
                                  {.getenv = [this](const char* name) -> const char* {
                                     auto it = env.find(name);
                                     return it == env.end() ? nullptr : it->second.c_str();
                                   },
                                   .builtin = builtin,
                                   .exists = [this](const std::string& p) { return files.count(p) > 0; }});
  }
};

TEST(CaFile, OnAmazonLinuxADebianBuildFindsTheAmazonBundle) {
  FakeSystem al2023{.files = {"/etc/pki/tls/certs/ca-bundle.crt"}};  // no ca-certificates.crt there
  EXPECT_EQ(al2023.choose(), "/etc/pki/tls/certs/ca-bundle.crt");
}

TEST(CaFile, OnDebianLibcurlsOwnDefaultIsKept) {
  FakeSystem debian{.files = {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"}};
  EXPECT_EQ(debian.choose(), "/etc/ssl/certs/ca-certificates.crt");
}

TEST(CaFile, TheOptionThenTheEnvironmentComeFirst) {
  FakeSystem s{.env = {{"SSL_CERT_FILE", "/ssl.pem"}}, .files = {"/etc/pki/tls/certs/ca-bundle.crt"}};
  EXPECT_EQ(s.choose("/mine.pem"), "/mine.pem");
  EXPECT_EQ(s.choose(), "/ssl.pem");
  s.env["CURL_CA_BUNDLE"] = "/curl.pem";
  EXPECT_EQ(s.choose(), "/curl.pem");
  s.env["CURL_CA_BUNDLE"] = "";  // empty is unset
  EXPECT_EQ(s.choose(), "/ssl.pem");
}

TEST(CaFile, NoBundleAnywhereLeavesLibcurlsDefault) {
  FakeSystem empty_root{};
  EXPECT_EQ(empty_root.choose(), "");
  empty_root.files.insert("/etc/ssl/ca-bundle.pem");
  EXPECT_EQ(empty_root.choose(), "/etc/ssl/ca-bundle.pem");
}

TEST(CurlHttpClient, TheReadTimeoutEndsASilentServerWithinASecondOfTheLimit) {
  // Accepts, reads the request and never answers.
  RawTcpServer server([](int fd) {
    RawTcpServer::read_request_head(fd);
    std::this_thread::sleep_for(1500ms);
  });
  auto client = make_curl_http_client({.request_timeout = 0ms, .read_timeout = 300ms});
  const auto started = std::chrono::steady_clock::now();
  auto got = client->send({.method = "GET", .url = server.url("/")});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kTimeout);
  EXPECT_TRUE(got.status().details().transient);
  EXPECT_TRUE(got.status().details().outcome_unknown);
  EXPECT_NE(got.status().message().find("no data for 300 ms (read timeout)"), std::string::npos)
      << got.status().message();
  EXPECT_GE(took, 300ms);
  // libcurl calls the progress callback at least once a second while idle (measured: 1.2 s for a
  // 300 ms limit); its own low-speed check took 7 s for a 1 s limit.
  EXPECT_LT(took, 2500ms);
}

TEST(CaFile, TheChosenBundleIsTheOneLibcurlLoads) {
  // A bundle that does not exist makes the TLS set-up fail before any byte is sent: proof that
  // the option reaches libcurl (and what a wrong CA path looks like to a caller).
  RawTcpServer server([](int) {});
  auto client = make_curl_http_client(
      {.connect_timeout = 2000ms, .request_timeout = 3000ms, .ca_file = "/nonexistent/agents-test-ca.pem"});
  auto got =
      client->send({.method = "GET", .url = "https://127.0.0.1:" + std::to_string(server.port()) + "/"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_NE(got.status().message().find("SSL CA cert"), std::string::npos) << got.status().message();
  // With the bundle found on this machine the same server fails later, in the handshake.
  auto found =
      make_curl_http_client({.connect_timeout = 2000ms, .request_timeout = 3000ms})
          ->send({.method = "GET", .url = "https://127.0.0.1:" + std::to_string(server.port()) + "/"});
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().message().find("SSL CA cert"), std::string::npos) << found.status().message();
}

}  // namespace
}  // namespace agents::http
