// AWS partitions (botocore partitions.json): which DNS suffixes a region's endpoints use.
#pragma once

#include <string_view>

namespace agents::aws::detail {

struct Partition {
  std::string_view name;              ///< "aws", "aws-cn", ...
  std::string_view dns_suffix;        ///< "amazonaws.com"
  std::string_view dualstack_suffix;  ///< "api.aws"
};

/// The partition whose region pattern matches; "aws" for any other shape (as partitions.json).
const Partition& partition_of(std::string_view region);

/// A DNS host label: letters, digits and inner hyphens, 1 to 63 characters.
bool is_valid_host_label(std::string_view label);

}  // namespace agents::aws::detail
