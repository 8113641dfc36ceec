#include "aws/partition.hpp"

#include <cctype>

namespace agents::aws::detail {

namespace {

struct PartitionRule {
  std::string_view prefix;  ///< the region is `<prefix>-\w+-\d+`
  Partition partition;
};

// Most specific prefixes first: "us-gov-west-1" must not be taken for an "us-" region.
constexpr PartitionRule kRules[] = {
    {"us-gov", {"aws-us-gov", "amazonaws.com", "api.aws"}},
    {"us-isob", {"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"}},
    {"us-isof", {"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov"}},
    {"us-iso", {"aws-iso", "c2s.ic.gov", "api.aws.ic.gov"}},
    {"eu-isoe", {"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"}},
    {"eusc-de", {"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"}},
    {"cn", {"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"}},
};
constexpr Partition kAws{"aws", "amazonaws.com", "api.aws"};

bool is_word(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool is_number(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// `<prefix>-\w+-\d+`
bool matches(std::string_view region, std::string_view prefix) {
  if (!region.starts_with(prefix) || region.size() <= prefix.size() || region[prefix.size()] != '-')
    return false;
  std::string_view rest = region.substr(prefix.size() + 1);
  std::size_t dash = rest.find('-');
  return dash != std::string_view::npos && is_word(rest.substr(0, dash)) && is_number(rest.substr(dash + 1));
}

}  // namespace

const Partition& partition_of(std::string_view region) {
  for (const auto& rule : kRules) {
    if (matches(region, rule.prefix)) return rule.partition;
  }
  return kAws;
}

bool is_valid_host_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace agents::aws::detail
