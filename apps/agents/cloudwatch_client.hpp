// Amazon CloudWatch's GetMetricData for `agents table metrics`: a second AWS service on the
// library's SigV4 layer, in the AWS JSON 1.0 protocol (docs/adr/0006-cloudwatch-json-protocol.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agents/aws/credentials.hpp"
#include "agents/aws/retry.hpp"
#include "agents/aws/sigv4.hpp"
#include "agents/core/status.hpp"
#include "agents/http/http_client.hpp"

namespace agents::cli::cloudwatch {

/// One MetricDataQuery with a MetricStat: a metric of a namespace, its dimensions, a statistic.
struct MetricQuery {
  std::string id;  ///< starts with a lowercase letter (the API's rule)
  std::string namespace_name = "AWS/DynamoDB";
  std::string metric_name;
  std::vector<std::pair<std::string, std::string>> dimensions;  ///< (name, value)
  std::string stat = "Sum";
};

struct MetricSeries {
  std::string id;
  std::string label;
  std::vector<std::int64_t> timestamps;  ///< epoch seconds, each the start of its period
  std::vector<double> values;
  std::string status_code;  ///< Complete, PartialData, ...
};

struct GetMetricDataRequest {
  std::vector<MetricQuery> queries;
  std::int64_t start_time = 0;  ///< epoch seconds, a multiple of the period
  std::int64_t end_time = 0;
  int period_seconds = 3600;
};

/// The request body as AWS JSON 1.0 serialises GetMetricDataInput (timestamps as epoch seconds).
std::string encode_get_metric_data(const GetMetricDataRequest& request, const std::string& next_token);

struct ClientOptions {
  std::string region;    ///< resolved already (the DynamoDB client's)
  std::string endpoint;  ///< empty: AWS_ENDPOINT_URL_CLOUDWATCH > AWS_ENDPOINT_URL > monitoring.<region>
  std::string profile;
  http::CurlHttpClientOptions transport;
  aws::RetryOptions retry;
  std::shared_ptr<aws::CredentialsProvider> credentials;  ///< empty: the default chain
};

/// The endpoint URL `options` resolve to, as the AWS SDKs do for the service id "CloudWatch".
std::string resolve_endpoint(const ClientOptions& options);

class Client {
 public:
  explicit Client(ClientOptions options);
  /// Every page (NextToken) of one GetMetricData call, merged per query id.
  StatusOr<std::vector<MetricSeries>> get_metric_data(const GetMetricDataRequest& request);
  const std::string& endpoint() const { return endpoint_; }

 private:
  Status call(const std::string& body, std::string& response_body);

  ClientOptions options_;
  std::string endpoint_;
  std::shared_ptr<http::HttpClient> http_;
  aws::sigv4::RequestSigner signer_;
  aws::RetryQuota quota_;
};

}  // namespace agents::cli::cloudwatch
