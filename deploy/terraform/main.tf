# The checkpoint table of docs/table-setup.md: partition key thread_id (S), no sort key, on-demand
# billing, TTL on `ttl`, point-in-time recovery, and optional replicas (a global table), eventually
# (MREC) or strongly (MRSC) consistent across Regions: docs/global-tables.md.
locals {
  strong = var.consistency_mode == "STRONG"
  # Every Region the table spans, its own included: MRSC counts it as one of its three.
  table_regions = concat([var.region], var.replica_regions, var.witness_region == "" ? [] : [var.witness_region])
  # MRSC exists only inside one of these sets (docs/global-tables.md, "Region sets").
  mrsc_region_sets = [
    ["us-east-1", "us-east-2", "us-west-2"],
    ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"],
    ["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"],
  ]
}

resource "aws_dynamodb_table" "checkpoints" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "thread_id"

  attribute {
    name = "thread_id"
    type = "S"
  }

  # MRSC tables do not support TTL: expired threads are still hidden on load, but stay stored.
  ttl {
    attribute_name = "ttl"
    enabled        = !local.strong
  }

  point_in_time_recovery {
    enabled = true
  }

  # MREC replication (global tables version 2019.11.21) needs a stream with new and old images;
  # MRSC replicates without one.
  stream_enabled   = !local.strong && length(var.replica_regions) > 0
  stream_view_type = !local.strong && length(var.replica_regions) > 0 ? "NEW_AND_OLD_IMAGES" : null

  dynamic "replica" {
    for_each = toset(var.replica_regions)
    content {
      region_name            = replica.value
      point_in_time_recovery = true
      consistency_mode       = var.consistency_mode # one mode for all replicas, fixed at creation
    }
  }

  # MRSC only: a witness instead of a third replica; it keeps quorum but serves no reads or writes.
  dynamic "global_table_witness" {
    for_each = var.witness_region == "" ? [] : [var.witness_region]
    content {
      region_name = global_table_witness.value
    }
  }

  # Encryption at rest is always on (an AWS owned key unless a server_side_encryption block says otherwise).
  deletion_protection_enabled = var.deletion_protection

  # Refuse at plan time what DynamoDB would refuse halfway through creating the replicas.
  lifecycle {
    precondition {
      condition     = local.strong || var.witness_region == ""
      error_message = "witness_region needs consistency_mode = \"STRONG\" (a witness exists only in MRSC tables)."
    }
    precondition {
      condition     = !local.strong || (length(local.table_regions) == 3 && length(distinct(local.table_regions)) == 3)
      error_message = "consistency_mode = \"STRONG\" needs exactly three different Regions counting var.region: two replica_regions, or one and a witness_region."
    }
    precondition {
      condition     = !local.strong || anytrue([for regions in local.mrsc_region_sets : alltrue([for r in local.table_regions : contains(regions, r)])])
      error_message = "consistency_mode = \"STRONG\" needs all Regions (var.region, replica_regions, witness_region) in one MRSC Region set: us-east-1/us-east-2/us-west-2, eu-west-1/eu-west-2/eu-west-3/eu-central-1, or ap-northeast-1/ap-northeast-2/ap-northeast-3."
    }
  }
}
