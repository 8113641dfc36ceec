#include "agents/dynamodb/global_tables.hpp"

#include <algorithm>
#include <array>

#include "agents/dynamodb/client.hpp"

namespace agents::dynamodb {

namespace {

struct RegionSet {
  std::string_view name;
  std::array<std::string_view, 4> regions;  // unused slots empty
};

// AWS's list of the Regions where MRSC is offered, by set (docs/global-tables.md, [HIW]).
constexpr std::array<RegionSet, 3> kStrongRegionSets{{
    {"US", {"us-east-1", "us-east-2", "us-west-2", ""}},
    {"EU", {"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"}},
    {"AP", {"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", ""}},
}};

std::string list_sets() {
  std::string out;
  for (const auto& set : kStrongRegionSets) {
    out += (out.empty() ? "" : "; ") + std::string(set.name) + ":";
    for (auto r : set.regions)
      if (!r.empty()) out += " " + std::string(r);
  }
  return out;
}

Status invalid(std::string message) { return Status(ErrorCode::kInvalidArgument, std::move(message)); }

}  // namespace

std::string_view consistency_name(TableConsistency mode) noexcept {
  switch (mode) {
    case TableConsistency::kSingleRegion:
      return "single-region";
    case TableConsistency::kEventual:
      return "eventual";
    case TableConsistency::kStrong:
      return "strong";
  }
  return "unknown";
}

TableConsistency TableDescription::consistency() const {
  if (multi_region_consistency == "STRONG") return TableConsistency::kStrong;
  if (multi_region_consistency == "EVENTUAL") return TableConsistency::kEventual;
  // Older answers (and tables made global before MRSC existed) carry replicas and no mode.
  return replicas.empty() && witnesses.empty() ? TableConsistency::kSingleRegion
                                               : TableConsistency::kEventual;
}

std::string_view strong_consistency_region_set(std::string_view region) noexcept {
  for (const auto& set : kStrongRegionSets) {
    if (std::find(set.regions.begin(), set.regions.end(), region) != set.regions.end() && !region.empty())
      return set.name;
  }
  return {};
}

StatusOr<GlobalTablePlan> plan_global_table(std::string home, const std::vector<std::string>& regions,
                                            std::string witness, TableConsistency consistency) {
  GlobalTablePlan plan{.home = std::move(home), .witness = std::move(witness), .consistency = consistency};
  if (plan.home.empty()) return invalid("global table: no home Region (set --region or AWS_REGION)");
  for (const auto& r : regions) {
    if (r.empty() || r == plan.home) continue;
    if (std::find(plan.replicas.begin(), plan.replicas.end(), r) != plan.replicas.end())
      return invalid("global table: Region " + r + " is listed twice");
    plan.replicas.push_back(r);
  }
  const bool strong = consistency == TableConsistency::kStrong;
  if (!strong) {
    if (!plan.witness.empty())
      return invalid("a witness Region (--witness " + plan.witness +
                     ") exists only in strong consistency mode (--consistency strong); an eventually "
                     "consistent global table has replicas only");
    return plan;
  }
  if (plan.replicas.empty())
    return invalid("strong consistency (MRSC) is a global table mode: name its Regions (--global-regions)");
  if (plan.witness == plan.home ||
      std::find(plan.replicas.begin(), plan.replicas.end(), plan.witness) != plan.replicas.end())
    return invalid("the witness Region " + plan.witness +
                   " also holds a replica; a witness must be a third Region of its own");
  const std::size_t total = 1 + plan.replicas.size() + (plan.witness.empty() ? 0 : 1);
  if (total != 3) {
    std::string counted = plan.home + " (home)";
    for (const auto& r : plan.replicas) counted += ", " + r;
    if (!plan.witness.empty()) counted += ", " + plan.witness + " (witness)";
    return invalid(
        "a strongly consistent (MRSC) global table spans exactly three Regions, counting the "
        "home Region: three replicas, or two replicas and a witness; this one would span " +
        std::to_string(total) + ": " + counted);
  }
  std::vector<std::string> all{plan.home};
  all.insert(all.end(), plan.replicas.begin(), plan.replicas.end());
  if (!plan.witness.empty()) all.push_back(plan.witness);
  const std::string_view set = strong_consistency_region_set(plan.home);
  for (const auto& r : all) {
    const std::string_view own = strong_consistency_region_set(r);
    if (own.empty())
      return invalid("Region " + r +
                     " offers no strong consistency (MRSC) global tables; the Region sets are " +
                     list_sets());
    if (own != set)
      return invalid("a strongly consistent (MRSC) global table stays within one Region set: " + plan.home +
                     " is in the " + std::string(set) + " set and " + r + " in the " + std::string(own) +
                     " set (" + list_sets() + ")");
  }
  return plan;
}

}  // namespace agents::dynamodb
