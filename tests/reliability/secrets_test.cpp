// No secret in any error, log line or description: the library's error paths run with a
// recognisable fake secret key, session token and OpenAI key (in the environment, as a user has
// them), against stand-ins that answer the way the real services do when things go wrong,
// including servers that quote the request (and so the token) back. Every exception text, every
// observer event and everything the process writes to stderr is searched for the secrets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "agents/model/openai_chat_model.hpp"
#include "support/loopback_server.hpp"

namespace agents {
namespace {

constexpr const char* kSecret = "FAKEsecretKEY/leak-canary+wJalrXUtnFEMI/K7MDENG";
constexpr const char* kToken = "FAKEsessionTOKEN-leak-canary-IQoJb3JpZ2luX2VjEHIaCXVzLWVhc3QtMSJH";
constexpr const char* kOpenAiKey = "sk-FAKEopenaiKEY-leak-canary-T3BlbkFJ0123456789";
constexpr const char* kKeyId = "AKIDSECRETSTEST";

std::string crc_of(const std::string& body) {
  return std::to_string(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

// Everything written to fd 2 while alive (the library's log lines, a credential_process's stderr).
class StderrCapture {
 public:
  StderrCapture() {
    path_ = std::filesystem::temp_directory_path() / ("agents-stderr-" + std::to_string(::getpid()));
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string restore() {
    if (saved_ < 0) return text_;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    text_ = ss.str();
    std::filesystem::remove(path_);
    return text_;
  }

 private:
  std::filesystem::path path_;
  int saved_ = -1;
  std::string text_;
};

class Secrets : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("agents-secrets-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    setenv("AWS_ACCESS_KEY_ID", kKeyId, 1);
    setenv("AWS_SECRET_ACCESS_KEY", kSecret, 1);
    setenv("AWS_SESSION_TOKEN", kToken, 1);
    setenv("OPENAI_API_KEY", kOpenAiKey, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", (dir_ / "config").c_str(), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").c_str(), 1);
    unsetenv("AWS_PROFILE");
    capture_ = std::make_unique<StderrCapture>();
  }

  void TearDown() override {
    std::string err = capture_->restore();
    seen("stderr", err);
    for (const auto& [where, text] : outputs_) {
      for (const char* secret : {kSecret, kToken, kOpenAiKey}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << where << " holds a secret: " << text;
      }
    }
    EXPECT_GE(outputs_.size(), 2u);
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "OPENAI_API_KEY",
          "OPENAI_BASE_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"}) {
      unsetenv(name);
    }
    std::filesystem::remove_all(dir_);
  }

  // Called from the observer too, which runs on the scan's segment threads.
  void seen(const std::string& where, const std::string& text) {
    std::lock_guard lock(outputs_mu_);
    outputs_.emplace_back(where, text);
  }

  // Runs `f`, which must throw an agents::Error; records its text. Returns the code.
  template <typename F>
  ErrorCode expect_error(const std::string& where, F&& f) {
    try {
      f();
    } catch (const Error& e) {
      seen(where, e.what());
      return e.code();
    } catch (const std::exception& e) {
      ADD_FAILURE() << where << ": untyped exception: " << e.what();
      seen(where, e.what());
      return ErrorCode::kOk;
    }
    ADD_FAILURE() << where << ": no error";
    return ErrorCode::kOk;
  }

  std::shared_ptr<DynamoDbCheckpointer> checkpointer(const std::string& endpoint) {
    auto cp = std::make_shared<DynamoDbCheckpointer>("threads");
    cp->with_endpoint(endpoint).with_retry({.max_attempts = 2, .sleeper = [](std::chrono::milliseconds) {}});
    cp->with_observer([this](const dynamodb::CallEvent& e) {
      seen("observer", e.operation + " " + e.table + " " + e.service_code);
    });
    return cp;
  }

  void write_file(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  std::filesystem::path dir_;
  std::unique_ptr<StderrCapture> capture_;
  std::mutex outputs_mu_;
  std::vector<std::pair<std::string, std::string>> outputs_;
};

TEST_F(Secrets, UnreachableEndpoint) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a port nobody listens on
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ::close(fd);
  auto cp = checkpointer(endpoint);
  EXPECT_EQ(expect_error("save", [&] { cp->save_state("t", {}); }), ErrorCode::kConnectionFailed);
  EXPECT_EQ(expect_error("load", [&] { cp->load_state("t"); }), ErrorCode::kConnectionFailed);
  expect_error("list", [&] { cp->list_threads(); });
  auto described = cp->client()->describe_credentials();
  ASSERT_TRUE(described.ok());
  seen("describe_credentials", *described);
  EXPECT_NE(described->find(kKeyId), std::string::npos);
}

// What DynamoDB answers when the keys are refused. InvalidSignatureException quotes the canonical
// request it computed, signed headers included, and x-amz-security-token is one of them.
TEST_F(Secrets, AccessDeniedAndSignatureErrorsThatQuoteTheRequest) {
  agents::testing::LoopbackServer server;
  int calls = 0;
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    std::string canonical =
        "POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:" + req.get_header_value("Host") +
        "\nx-amz-date:" + req.get_header_value("X-Amz-Date") +
        "\nx-amz-security-token:" + req.get_header_value("X-Amz-Security-Token") +
        "\nx-amz-target:" + req.get_header_value("X-Amz-Target");
    nlohmann::json body;
    if (calls % 3 == 1) {
      body = {{"__type", "com.amazon.coral.service#InvalidSignatureException"},
              {"message",
               "The request signature we calculated does not match the signature you provided. Check "
               "your AWS Secret Access Key and signing method.\n\nThe Canonical String for this request "
               "should have been\n'" +
                   canonical + "'\n"}};
    } else if (calls % 3 == 2) {
      body = {{"__type", "com.amazon.coral.service#UnrecognizedClientException"},
              {"message", "The security token included in the request is invalid: " +
                              req.get_header_value("X-Amz-Security-Token")}};
    } else {
      body = {{"__type", "com.amazon.coral.service#AccessDeniedException"},
              {"Message", "User: arn:aws:sts::123456789012:assumed-role/agents/" + std::string(kKeyId) +
                              " is not authorized to perform: dynamodb:GetItem"}};
    }
    res.status = 400;
    res.set_header("x-amzn-RequestId", "STANDIN" + std::to_string(calls));
    res.set_content(body.dump(), "application/x-amz-json-1.0");
    res.set_header("x-amz-crc32", crc_of(body.dump()));
  });
  server.start();
  auto cp = checkpointer(server.url(""));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(expect_error("load " + std::to_string(i), [&] { cp->load_state("t"); }),
              ErrorCode::kAccessDenied);
  }
  expect_error("save", [&] { cp->save_state("t", {}); });
  expect_error("delete", [&] { cp->delete_thread("t"); });
  expect_error("list", [&] { cp->list_threads(); });
  auto client = cp->client();
  auto raw = client->call("GetItem", R"({"TableName":"threads","Key":{"thread_id":{"S":"t"}}})", "threads");
  ASSERT_FALSE(raw.ok());
  seen("client call", raw.status().message());
}

TEST_F(Secrets, ModelServerRejectsTheKeyAndQuotesIt) {
  agents::testing::LoopbackServer server;
  server.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    std::string key = req.get_header_value("Authorization");
    if (req.body.find("\"stream\":true") != std::string::npos) {
      res.status = 200;
      res.set_content("data: {\"error\":{\"message\":\"Incorrect API key provided: " + key +
                          "\",\"type\":\"invalid_request_error\"}}\n\n",
                      "text/event-stream");
      return;
    }
    res.status = 401;
    res.set_header("x-request-id", "req_standin");
    res.set_content(
        R"({"error":{"message":"Incorrect API key provided: )" + key +
            R"(. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
        "application/json");
  });
  server.start();
  setenv("OPENAI_BASE_URL", server.url("/v1").c_str(), 1);
  OpenAiChatModel model(OpenAiConfig::from_environment());
  seen("model name", model.name());
  seen("model url", model.url());
  ChatRequest request;
  request.messages = {Message::user("hello")};
  EXPECT_EQ(expect_error("complete", [&] { model.complete(request); }), ErrorCode::kModelError);
  request.on_text_delta = [](std::string_view) {};
  expect_error("complete (stream)", [&] { model.complete(request); });
  // A key pasted into the URL by mistake is not shown either.
  OpenAiConfig in_url(kOpenAiKey, "gpt-4o-mini");
  in_url.chat_completions_url = server.url("/v1/chat/completions?api-key=") + kOpenAiKey;
  OpenAiChatModel model2(in_url);
  seen("model2 url", model2.name());
  request.on_text_delta = nullptr;
  expect_error("complete (key in url)", [&] { model2.complete(request); });
}

TEST_F(Secrets, CredentialProcessFailures) {
  // Each process has the secret in its output but fails in a different way.
  const std::string creds =
      std::string(R"({"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": ")") + kSecret +
      R"(", "SessionToken": ")" + kToken + "\"";
  write_file("truncated.sh", "printf '%s' '" + creds + "'\n");
  write_file("version2.sh", "printf '%s}' '" + std::string(creds).replace(12, 1, "2") + "'\n");
  write_file("exit1.sh", "printf '%s}' '" + creds + "'\nexit 1\n");
  write_file("expired.sh", "printf '%s, \"Expiration\": \"2001-01-01T00:00:00Z\"}' '" + creds + "'\n");
  write_file("no-key-id.sh",
             "printf '%s}' '" + std::string(R"({"Version": 1, "SecretAccessKey": ")") + kSecret + "\"'\n");
  std::string config;
  for (const char* name : {"truncated", "version2", "exit1", "expired", "no-key-id"}) {
    config += std::string("[profile ") + name + "]\ncredential_process = sh " +
              (dir_ / (std::string(name) + ".sh")).string() + "\nregion = us-east-1\n";
  }
  write_file("config", config);
  for (const char* name : {"truncated", "version2", "exit1", "expired", "no-key-id"}) {
    SCOPED_TRACE(name);
    auto cp = std::make_shared<DynamoDbCheckpointer>("threads");
    cp->with_endpoint("http://127.0.0.1:9").with_profile(name).with_retry({.max_attempts = 1});
    expect_error(std::string("profile ") + name, [&] { cp->load_state("t"); });
  }
}

TEST_F(Secrets, MalformedProfileFilesNameTheLineNotItsText) {
  write_file("credentials",
             std::string("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key ") + kSecret + "\n");
  write_file("config", std::string("[default]\nregion = us-east-1\n") + kToken + "\n");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  auto cp = std::make_shared<DynamoDbCheckpointer>("threads");
  cp->with_endpoint("http://127.0.0.1:9").with_retry({.max_attempts = 1});
  expect_error("malformed files", [&] { cp->load_state("t"); });
  auto chain = aws::make_default_credentials_chain();
  auto got = chain->get(aws::Clock::now());
  ASSERT_FALSE(got.ok());
  seen("chain", got.status().message());
}

TEST_F(Secrets, CredentialsDescribeThemselvesWithoutKeys) {
  aws::Credentials c{kKeyId, kSecret, kToken, std::nullopt, "environment"};
  seen("describe", c.describe());
  auto env = aws::make_environment_credentials_provider();
  auto got = env->get(aws::Clock::now());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->secret_access_key, kSecret);  // the canary really is what the library uses
  seen("env describe", got->describe());
}

}  // namespace
}  // namespace agents
