// Helpers of the credentials tests: a fake environment, temporary files, STS and instance metadata
// stand-ins on 127.0.0.1, and the fake secrets no error message may contain.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agents/aws/credentials.hpp"
#include "agents/aws/region.hpp"
#include "agents/http/http_client.hpp"
#include "support/loopback_server.hpp"

namespace agents::aws::testing {

inline constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRET";
inline constexpr char kToken[] = "IQoJb3JpZ2luX2VjEFAKESESSIONTOKEN+/=";
inline constexpr char kWebToken[] = "eyJhbGciOiJSUzI1NiJ9.FAKEWEBIDENTITYTOKEN.sig";
inline constexpr char kContainerToken[] = "FAKECONTAINERAUTHTOKEN";

/// Fails the test when `text` contains any of the fake secrets.
inline void expect_no_secret(const std::string& text) {
  for (const char* secret : {kSecret, kToken, kWebToken, kContainerToken}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "secret leaked into: " << text;
  }
}

/// An environment map shared with the lookups it hands out; HOME points nowhere unless set, so a
/// test never reads the real ~/.aws.
class FakeEnv {
 public:
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars = {})
      : vars_(std::make_shared<std::map<std::string, std::string>>(vars)) {
    vars_->emplace("HOME", "/nonexistent/agents-test-home");
  }
  FakeEnv& set(const std::string& name, const std::string& value) {
    std::lock_guard lock(*mu_);
    (*vars_)[name] = value;
    return *this;
  }
  EnvironmentLookup lookup() const {
    auto vars = vars_;
    auto mu = mu_;
    return [vars, mu](std::string_view name) -> std::optional<std::string> {
      std::lock_guard lock(*mu);
      auto it = vars->find(std::string(name));
      if (it == vars->end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
  operator EnvironmentLookup() const { return lookup(); }  // NOLINT(google-explicit-constructor)

 private:
  std::shared_ptr<std::map<std::string, std::string>> vars_;
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
};

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "agents-creds-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// Writes `text` to `name` (directories created) and returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::path file = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    return file.string();
  }

 private:
  std::string path_;
};

inline std::string sts_credentials_xml(const std::string& action, const std::string& access_key_id,
                                       const std::string& expiration = "2030-01-01T00:00:00Z") {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>"
         "<Credentials><AccessKeyId>" +
         access_key_id + "</AccessKeyId><SecretAccessKey>" + kSecret + "</SecretAccessKey><SessionToken>" +
         kToken + "</SessionToken><Expiration>" + expiration + "</Expiration></Credentials></" + action +
         "Result><ResponseMetadata><RequestId>req-ok</RequestId></ResponseMetadata></" + action + "Response>";
}

inline std::string sts_error_xml(const std::string& code, const std::string& message) {
  return "<ErrorResponse "
         "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" +
         code + "</Code><Message>" + message +
         "</Message></Error><RequestId>req-err-1</RequestId></ErrorResponse>";
}

/// STS on 127.0.0.1: answers every POST / with `status` and `body`, recording what it got.
class StsStandIn {
 public:
  StsStandIn() {
    server_.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++calls_;
      last_body_ = req.body;
      last_authorization_ = req.get_header_value("Authorization");
      last_security_token_ = req.get_header_value("X-Amz-Security-Token");
      res.status = status_;
      res.set_content(body_, "text/xml");
    });
    server_.start();
  }
  void answer(int status, std::string body) {
    std::lock_guard lock(mu_);
    status_ = status;
    body_ = std::move(body);
  }
  std::string url() const { return server_.url(""); }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::string last_body() const {
    std::lock_guard lock(mu_);
    return last_body_;
  }
  std::string last_authorization() const {
    std::lock_guard lock(mu_);
    return last_authorization_;
  }
  std::string last_security_token() const {
    std::lock_guard lock(mu_);
    return last_security_token_;
  }

 private:
  agents::testing::LoopbackServer server_;
  mutable std::mutex mu_;
  int status_ = 200;
  std::string body_;
  int calls_ = 0;
  std::string last_body_, last_authorization_, last_security_token_;
};

/// Instance metadata on 127.0.0.1 (point AWS_EC2_METADATA_SERVICE_ENDPOINT at url()).
class ImdsStandIn {
 public:
  int token_status = 200;  ///< answer to PUT /latest/api/token
  std::string role = "app-role";
  std::string credentials_json;  ///< default: valid credentials expiring in 2030
  std::string region = "eu-central-1";

  ImdsStandIn() {
    credentials_json = std::string(R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",)") +
                       R"("SecretAccessKey":")" + kSecret + R"(","Token":")" + kToken +
                       R"(","Expiration":"2030-01-01T00:00:00Z"})";
    auto& s = server_.server();
    s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++token_requests;
      ttl_header = req.get_header_value("x-aws-ec2-metadata-token-ttl-seconds");
      res.status = token_status;
      if (token_status == 200) res.set_content("imds-session-token", "text/plain");
    });
    s.Get(R"(/latest/meta-data/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string token = req.get_header_value("x-aws-ec2-metadata-token");
      if (token.empty()) {
        ++v1_requests;
      } else if (token != "imds-session-token") {
        res.status = 401;
        return;
      }
      std::string path = req.matches[1];
      if (path == "iam/security-credentials/" && !role.empty()) {
        res.set_content(role, "text/plain");
      } else if (path == "iam/security-credentials/" + role && !role.empty()) {
        res.set_content(credentials_json, "application/json");
      } else if (path == "placement/region") {
        res.set_content(region, "text/plain");
      } else {
        res.status = 404;
      }
    });
  }
  void start() { server_.start(); }
  std::string url() const { return server_.url(""); }

  std::atomic<int> token_requests{0};
  std::atomic<int> v1_requests{0};
  std::string ttl_header;

 private:
  agents::testing::LoopbackServer server_;
};

}  // namespace agents::aws::testing
