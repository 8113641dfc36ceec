// Global tables: the Region rules of a strongly consistent (MRSC) table, checked before any
// request, and the UpdateTable / DescribeTable shapes (tests/cli/global_tables_test.py compares
// them with the JavaScript SDK's on the wire).
#include "agents/dynamodb/global_tables.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "agents/dynamodb/client.hpp"
#include "dynamodb/json_codec.hpp"

namespace agents::dynamodb {
namespace {

using TC = TableConsistency;

std::string plan_error(const std::string& home, std::vector<std::string> regions, const std::string& witness,
                       TC mode) {
  auto plan = plan_global_table(home, regions, witness, mode);
  EXPECT_FALSE(plan.ok());
  if (plan.ok()) return "";
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  return plan.status().message();
}

TEST(GlobalTablePlan, StrongTablesSpanExactlyThreeRegionsOfOneSet) {
  auto three = plan_global_table("us-east-1", {"us-east-1", "us-east-2", "us-west-2"}, "", TC::kStrong);
  ASSERT_TRUE(three.ok()) << three.status().message();
  EXPECT_EQ(three->replicas, (std::vector<std::string>{"us-east-2", "us-west-2"}));  // home left out
  auto witness = plan_global_table("eu-west-1", {"eu-central-1"}, "eu-west-3", TC::kStrong);
  ASSERT_TRUE(witness.ok()) << witness.status().message();
  EXPECT_EQ(witness->witness, "eu-west-3");
  EXPECT_TRUE(
      plan_global_table("ap-northeast-1", {"ap-northeast-2", "ap-northeast-3"}, "", TC::kStrong).ok());

  EXPECT_NE(plan_error("us-east-1", {"us-east-2"}, "", TC::kStrong).find("exactly three Regions"),
            std::string::npos);
  EXPECT_NE(
      plan_error("us-east-1", {"us-east-2", "us-west-2"}, "eu-west-1", TC::kStrong).find("would span 4"),
      std::string::npos);
  EXPECT_NE(plan_error("us-east-1", {"eu-west-1", "eu-west-2"}, "", TC::kStrong).find("one Region set"),
            std::string::npos);
  EXPECT_NE(plan_error("us-west-1", {"us-east-1", "us-east-2"}, "", TC::kStrong).find("offers no strong"),
            std::string::npos);
  EXPECT_NE(plan_error("us-east-1", {"us-east-2"}, "us-east-2", TC::kStrong).find("witness"),
            std::string::npos);
  EXPECT_NE(plan_error("us-east-1", {}, "", TC::kStrong).find("--global-regions"), std::string::npos);
  EXPECT_NE(plan_error("us-east-1", {"us-east-2", "us-east-2"}, "", TC::kStrong).find("twice"),
            std::string::npos);
}

TEST(GlobalTablePlan, EventualTablesTakeAnyRegionsButNoWitness) {
  auto plan = plan_global_table("us-east-1", {"eu-west-1", "ap-south-1", "us-west-1"}, "", TC::kEventual);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->replicas.size(), 3u);
  EXPECT_NE(plan_error("us-east-1", {"us-east-2"}, "us-west-2", TC::kEventual).find("--consistency strong"),
            std::string::npos);
}

TEST(GlobalTablePlan, RegionSets) {
  EXPECT_EQ(strong_consistency_region_set("us-west-2"), "US");
  EXPECT_EQ(strong_consistency_region_set("eu-central-1"), "EU");
  EXPECT_EQ(strong_consistency_region_set("ap-northeast-3"), "AP");
  EXPECT_EQ(strong_consistency_region_set("sa-east-1"), "");
  EXPECT_EQ(strong_consistency_region_set(""), "");
}

TEST(GlobalTableWire, UpdateTableCarriesModeAndWitnessOnlyWhenAsked) {
  EXPECT_EQ(
      detail::encode_add_replicas({.table = "t",
                                   .regions = {"us-east-2"},
                                   .witness = "us-west-2",
                                   .multi_region_consistency = "STRONG"}),
      R"({"TableName":"t","ReplicaUpdates":[{"Create":{"RegionName":"us-east-2"}}],)"
      R"("MultiRegionConsistency":"STRONG","GlobalTableWitnessUpdates":[{"Create":{"RegionName":"us-west-2"}}]})");
  EXPECT_EQ(detail::encode_add_replicas({.table = "t", .regions = {"eu-west-1", "ap-south-1"}}),
            R"({"TableName":"t","ReplicaUpdates":[{"Create":{"RegionName":"eu-west-1"}},)"
            R"({"Create":{"RegionName":"ap-south-1"}}]})");
}

TableDescription parsed(const std::string& json) {
  simdjson::dom::parser parser;
  TableDescription d;
  EXPECT_TRUE(detail::parse_table_description(parser.parse(json).value(), d));
  return d;
}

TEST(GlobalTableWire, DescribeTableGivesModeReplicasAndWitness) {
  auto strong = parsed(
      R"({"TableName":"t","TableStatus":"ACTIVE","MultiRegionConsistency":"STRONG",)"
      R"("Replicas":[{"RegionName":"us-east-1","ReplicaStatus":"ACTIVE"},{"RegionName":"us-east-2","ReplicaStatus":"CREATING"}],)"
      R"("GlobalTableWitnesses":[{"RegionName":"us-west-2","WitnessStatus":"ACTIVE"}]})");
  EXPECT_EQ(strong.consistency(), TC::kStrong);
  ASSERT_EQ(strong.replicas.size(), 2u);
  EXPECT_EQ(strong.replicas[1].region, "us-east-2");
  EXPECT_EQ(strong.replicas[1].status, "CREATING");
  ASSERT_EQ(strong.witnesses.size(), 1u);
  EXPECT_EQ(strong.witnesses[0].region, "us-west-2");
  EXPECT_EQ(strong.witnesses[0].status, "ACTIVE");
  EXPECT_EQ(strong.replica_regions, (std::vector<std::string>{"us-east-1", "us-east-2"}));
  // Replicas and no mode: made global before MRSC existed, or by an SDK that omits it.
  EXPECT_EQ(parsed(R"({"TableName":"t","Replicas":[{"RegionName":"eu-west-1"}]})").consistency(),
            TC::kEventual);
  EXPECT_EQ(parsed(R"({"TableName":"t"})").consistency(), TC::kSingleRegion);
  EXPECT_EQ(consistency_name(TC::kStrong), "strong");
}

}  // namespace
}  // namespace agents::dynamodb
