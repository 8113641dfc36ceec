// Retries and error mapping of the DynamoDB client, against a loopback stand-in that injects the
// faults no real local server produces on demand (throttling, 5xx, damaged bodies, resets).
#include <gtest/gtest.h>
#include <zlib.h>

#include <deque>
#include <mutex>

#include "agents/dynamodb/client.hpp"
#include "support/loopback_server.hpp"
#include "support/raw_tcp_server.hpp"

namespace agents::dynamodb {
namespace {

using namespace std::chrono_literals;

struct Scripted {
  int status;
  std::string body;
  bool bad_crc = false;
};

std::string crc_of(const std::string& body) {
  return std::to_string(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
}

class FaultServer {
 public:
  FaultServer() {
    server_.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      Scripted next = script_.empty() ? Scripted{200, "{}"} : script_.front();
      if (!script_.empty()) script_.pop_front();
      res.status = next.status;
      res.set_header("x-amzn-RequestId", "REQ" + std::to_string(requests_.size()));
      res.set_header("x-amz-crc32", next.bad_crc ? "12345" : crc_of(next.body));
      res.set_content(next.body, "application/x-amz-json-1.0");
    });
    server_.start();
  }
  void push(Scripted s) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(s));
  }
  std::size_t request_count() {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  httplib::Request request(std::size_t i) {
    std::lock_guard lock(mu_);
    return requests_.at(i);
  }
  std::string url() const { return server_.url(""); }

 private:
  agents::testing::LoopbackServer server_;
  std::mutex mu_;
  std::deque<Scripted> script_;
  std::vector<httplib::Request> requests_;
};

const char* kThrottled =
    R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate exceeded"})";
const char* kSecret = "SUPERSECRETKEY/abc+123";
const char* kToken = "SESSIONTOKEN-SHOULD-NEVER-SHOW";

class ClientFaultsTest : public ::testing::Test {
 protected:
  std::shared_ptr<DynamoDbClient> make(aws::RetryOptions retry = {}) {
    retry.sleeper = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    retry.jitter = [] { return 1.0; };
    auto client = DynamoDbClient::create(
        {.region = "us-west-2",
         .endpoint = server_.url(),
         .credentials = aws::make_static_credentials_provider(
             {.access_key_id = "AKIDFAULTS", .secret_access_key = kSecret, .session_token = kToken}),
         .retry = retry});
    EXPECT_TRUE(client.ok());
    return *client;
  }
  GetItemRequest get() { return {.table = "t", .key = {{"thread_id", AttributeValue::S("x")}}}; }

  FaultServer server_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(ClientFaultsTest, SignsEveryRequestForDynamoDb) {
  auto client = make();
  ASSERT_TRUE(client->get_item(get()).ok());
  auto req = server_.request(0);
  EXPECT_EQ(req.get_header_value("X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(req.get_header_value("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(req.get_header_value("X-Amz-Security-Token"), kToken);
  std::string auth = req.get_header_value("Authorization");
  EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDFAULTS/")) << auth;
  EXPECT_NE(auth.find("/us-west-2/dynamodb/aws4_request"), std::string::npos) << auth;
  EXPECT_NE(
      auth.find(
          "SignedHeaders=accept-encoding;content-type;host;x-amz-date;x-amz-security-token;x-amz-target"),
      std::string::npos)
      << auth;
  // Nobody observes this client: the call does not ask for its consumed capacity.
  EXPECT_EQ(req.body, R"({"TableName":"t","Key":{"thread_id":{"S":"x"}}})");
}

// With an observer every call asks for its consumed capacity, so the observer (and --verbose)
// can report it; without one, only a request that says so asks.
TEST_F(ClientFaultsTest, AsksForConsumedCapacityWhenObservedOrAsked) {
  std::vector<double> seen;
  auto observed =
      DynamoDbClient::create({.region = "us-west-2",
                              .endpoint = server_.url(),
                              .credentials = aws::make_static_credentials_provider(
                                  {.access_key_id = "AKIDFAULTS", .secret_access_key = kSecret}),
                              .observer = [&](const CallEvent& e) { seen.push_back(e.consumed_capacity); }});
  ASSERT_TRUE(observed.ok());
  ASSERT_TRUE((*observed)->get_item(get()).ok());
  EXPECT_EQ(server_.request(0).body,
            R"({"TableName":"t","Key":{"thread_id":{"S":"x"}},"ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(seen.size(), 1u);

  auto plain = make();
  GetItemRequest asked = get();
  asked.return_consumed_capacity = true;
  ASSERT_TRUE(plain->get_item(asked).ok());
  EXPECT_EQ(server_.request(1).body,
            R"({"TableName":"t","Key":{"thread_id":{"S":"x"}},"ReturnConsumedCapacity":"TOTAL"})");
  ASSERT_TRUE(plain->put_item({.table = "t", .item = {{"thread_id", AttributeValue::S("x")}}}).ok());
  EXPECT_EQ(server_.request(2).body, R"({"TableName":"t","Item":{"thread_id":{"S":"x"}}})");
}

// The signing time is the options' clock (one instant for the credentials' expiry and the
// signature), not the system clock read in passing.
TEST_F(ClientFaultsTest, SignsWithTheClockOfItsOptions) {
  auto client = DynamoDbClient::create(
      ClientOptions()
          .with_region("us-west-2")
          .with_endpoint(server_.url())
          .with_credentials(aws::make_static_credentials_provider(
              {.access_key_id = "AKIDFAULTS", .secret_access_key = kSecret}))
          .with_clock(
              [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'440'938'160)); }));
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->get_item(get()).ok());
  auto req = server_.request(0);
  EXPECT_EQ(req.get_header_value("X-Amz-Date"), "20150830T123600Z");
  EXPECT_NE(req.get_header_value("Authorization")
                .find("Credential=AKIDFAULTS/20150830/us-west-2/dynamodb/aws4_request"),
            std::string::npos);
}

TEST_F(ClientFaultsTest, RetriesThrottlingWithGrowingBackoffThenSucceeds) {
  server_.push({400, kThrottled});
  server_.push({400, kThrottled});
  server_.push({200, R"({"Item":{"thread_id":{"S":"x"}}})"});
  auto client = make();
  auto r = client->get_item(get());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->item.has_value());
  EXPECT_EQ(server_.request_count(), 3u);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{1000ms, 2000ms}));  // 1 s base, doubled
}

TEST_F(ClientFaultsTest, ThrottlingThatOutlastsTheRetriesIsThrottledError) {
  for (int i = 0; i < 10; ++i) server_.push({400, kThrottled});
  auto client = make();
  auto r = client->get_item(get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kThrottled);
  EXPECT_EQ(server_.request_count(), 4u);  // DynamoDB's default: 4 attempts
  EXPECT_NE(r.status().message().find("max attempts reached"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().details().service_code, "ProvisionedThroughputExceededException");
  EXPECT_EQ(r.status().details().request_id, "REQ4");
  EXPECT_THROW(r.status().throw_if_error(), ThrottledError);
}

TEST_F(ClientFaultsTest, ServerErrorsAreRetriedWithTheShortBase) {
  server_.push({500, R"({"__type":"com.amazon.coral.service#InternalServerError","message":"oops"})"});
  server_.push({503, ""});
  server_.push({200, "{}"});
  auto client = make();
  ASSERT_TRUE(client->get_item(get()).ok());
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{25ms, 50ms}));
}

TEST_F(ClientFaultsTest, ClientErrorsAreNotRetriedAndCarryCodeStatusAndRequestId) {
  server_.push({400, R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"bad key"})"});
  auto client = make();
  auto r = client->get_item(get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server_.request_count(), 1u);
  EXPECT_EQ(r.status().code(), ErrorCode::kServiceError);
  EXPECT_EQ(r.status().details().service_code, "ValidationException");
  EXPECT_EQ(r.status().details().http_status, 400);
  EXPECT_NE(r.status().message().find("bad key"), std::string::npos);
  try {
    r.status().throw_if_error();
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.service_code(), "ValidationException");
    EXPECT_EQ(e.request_id(), "REQ1");
    EXPECT_EQ(e.http_status(), 400);
  }
}

TEST_F(ClientFaultsTest, AccessDeniedIsTypedAndNeverShowsTheSecret) {
  server_.push(
      {400,
       R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."})"});
  auto client = make();
  auto r = client->get_item(get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(r.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(r.status().message().find(kToken), std::string::npos);
  EXPECT_THROW(r.status().throw_if_error(), AccessDeniedError);
}

TEST_F(ClientFaultsTest, ChecksumMismatchIsRetried) {
  server_.push({200, R"({"Item":{"thread_id":{"S":"damaged"}}})", true});
  server_.push({200, R"({"Item":{"thread_id":{"S":"good"}}})"});
  auto client = make();
  auto r = client->get_item(get());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->item->at("thread_id").scalar(), "good");
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(ClientFaultsTest, PersistentChecksumMismatchSaysSo) {
  for (int i = 0; i < 4; ++i) server_.push({200, "{}", true});
  auto client = make();
  auto r = client->get_item(get());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum mismatch"), std::string::npos) << r.status().message();
}

TEST_F(ClientFaultsTest, ExhaustedRetryQuotaStopsRetrying) {
  server_.push({500, ""});
  auto client = make({.quota_capacity = 10});  // one transient retry costs 14
  auto r = client->get_item(get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server_.request_count(), 1u);
  EXPECT_NE(r.status().message().find("retry quota exhausted"), std::string::npos) << r.status().message();
}

TEST_F(ClientFaultsTest, ConditionFailureAfterAnAmbiguousAttemptIsInDoubt) {
  server_.push({500, ""});  // the first attempt may have written
  server_.push(
      {400,
       R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})"});
  auto client = make();
  auto r = client->put_item({.table = "t",
                             .item = {{"thread_id", AttributeValue::S("x")}},
                             .conditions = {.condition = "attribute_not_exists(thread_id)"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->condition_failed);
  EXPECT_TRUE(r->in_doubt);
}

TEST_F(ClientFaultsTest, UnreachableEndpointIsAConnectionErrorAfterRetries) {
  auto client = DynamoDbClient::create({.region = "us-east-1",
                                        .endpoint = "http://127.0.0.1:1",
                                        .credentials = aws::make_static_credentials_provider(
                                            {.access_key_id = "A", .secret_access_key = kSecret}),
                                        .retry = {.sleeper = [](std::chrono::milliseconds) {}}});
  ASSERT_TRUE(client.ok());
  auto r = (*client)->get_item(get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kConnectionFailed);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_NE(r.status().message().find("4 attempts"), std::string::npos) << r.status().message();
  EXPECT_THROW(r.status().throw_if_error(), ConnectionError);
}

TEST_F(ClientFaultsTest, AConnectionResetMidResponseIsRetriedOnANewConnection) {
  std::atomic<int> connections{0};
  agents::testing::RawTcpServer server([&](int fd) {
    agents::testing::RawTcpServer::read_request_head(fd);
    if (connections++ == 0) {
      // Half a response, then a reset: the request may or may not have been applied.
      std::string partial = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"Item\":";
      ::send(fd, partial.data(), partial.size(), 0);
      linger reset{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      return;
    }
    std::string body = R"({"Item":{"thread_id":{"S":"after-reset"}}})";
    std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amz-crc32: " + crc_of(body) +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    ::send(fd, response.data(), response.size(), 0);
  });
  auto client = DynamoDbClient::create(
      {.region = "us-east-1",
       .endpoint = server.url(""),
       .credentials =
           aws::make_static_credentials_provider({.access_key_id = "A", .secret_access_key = kSecret}),
       .retry = {.sleeper = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); },
                 .jitter = [] { return 1.0; }}});
  ASSERT_TRUE(client.ok());
  auto r = (*client)->get_item(get());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->item->at("thread_id").scalar(), "after-reset");
  EXPECT_EQ(connections.load(), 2);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{25ms}));  // a transient, not throttling, backoff
}

// Any other web server on the port (a dev server, a proxy's page): recognised from the answer,
// not retried, and named for what it is.
class ForeignServerTest : public ::testing::Test {
 protected:
  void serve(int status, std::string content_type, std::string body) {
    server_.server().Post("/", [=, this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = status;
      res.set_header("Server", "nginx/1.22");
      if (!content_type.empty()) res.set_content(body, content_type);
    });
    server_.start();
  }
  StatusOr<GetItemResult> get() {
    auto client = DynamoDbClient::create({.region = "us-east-1",
                                          .endpoint = server_.url(""),
                                          .credentials = aws::make_static_credentials_provider(
                                              {.access_key_id = "A", .secret_access_key = kSecret}),
                                          .retry = {.sleeper = [](std::chrono::milliseconds) {}}});
    EXPECT_TRUE(client.ok());
    return (*client)->get_item({.table = "t", .key = {{"thread_id", AttributeValue::S("x")}}});
  }
  agents::testing::LoopbackServer server_;
  std::atomic<int> requests_{0};
};

TEST_F(ForeignServerTest, AnHtmlPageIsNotDynamoDbAndIsNotRetried) {
  serve(404, "text/html", "<html><title>Not Found</title></html>");
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_EQ(r.status().code(), ErrorCode::kServiceError);
  EXPECT_EQ(r.status().details().service_code, "NotDynamoDbEndpoint");
  EXPECT_EQ(r.status().details().http_status, 404);
  EXPECT_FALSE(r.status().details().transient);
  EXPECT_NE(r.status().message().find("does not speak DynamoDB"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(server_.url("")), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("nginx/1.22"), std::string::npos) << r.status().message();
  EXPECT_THROW(r.status().throw_if_error(), ServiceError);
}

TEST_F(ForeignServerTest, A501WithNoBodyIsNotDynamoDb) {
  serve(501, "", "");
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_EQ(r.status().details().service_code, "NotDynamoDbEndpoint");
  EXPECT_NE(r.status().message().find("HTTP 501"), std::string::npos) << r.status().message();
}

TEST_F(ForeignServerTest, A200ThatIsNotTheDynamoDbProtocolIsNotDynamoDb) {
  serve(200, "text/html", "<html>welcome</html>");
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(requests_.load(), 1);
  EXPECT_NE(r.status().message().find("does not speak DynamoDB"), std::string::npos) << r.status().message();
}

TEST_F(ForeignServerTest, AGatewayErrorPageIsRetriedAndThenNamed) {
  serve(503, "text/html", "<html>Service Unavailable</html>");
  auto r = get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(requests_.load(), 4);  // a gateway in front of DynamoDB may recover
  EXPECT_NE(r.status().message().find("does not speak DynamoDB"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("proxy or gateway"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace agents::dynamodb
