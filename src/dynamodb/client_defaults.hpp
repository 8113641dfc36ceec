// The parts of a client that ClientOptions may leave empty, filled as DynamoDbClient::create
// fills them; region failover fills them once so that every Region's client shares them.
#pragma once

#include <string>

#include "agents/dynamodb/client.hpp"

namespace agents::dynamodb::detail {

/// Unless `options.http` is set: libcurl with `options.transport`, its CA bundle as the AWS CLI
/// picks it (the option, AWS_CA_BUNDLE, the profile's ca_bundle).
void use_default_transport(ClientOptions& options);

/// Unless `options.credentials` is set: the default chain (environment, profile, web identity,
/// container, instance), over `options.http`, for `region` (STS's regional endpoint).
void use_default_credentials(ClientOptions& options, const std::string& region);

}  // namespace agents::dynamodb::detail
