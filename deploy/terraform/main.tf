# The checkpoint table of docs/table-setup.md: partition key thread_id (S), no sort key, on-demand
# billing, TTL on `ttl`, point-in-time recovery, and optional replicas (a global table).
resource "aws_dynamodb_table" "checkpoints" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "thread_id"

  attribute {
    name = "thread_id"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # Replication (global tables version 2019.11.21) needs a stream with new and old images.
  stream_enabled   = length(var.replica_regions) > 0
  stream_view_type = length(var.replica_regions) > 0 ? "NEW_AND_OLD_IMAGES" : null

  dynamic "replica" {
    for_each = toset(var.replica_regions)
    content {
      region_name            = replica.value
      point_in_time_recovery = true
    }
  }

  # Encryption at rest is always on (an AWS owned key unless a server_side_encryption block says otherwise).
  deletion_protection_enabled = var.deletion_protection
}
