variable "region" {
  description = "Region of the table, the function and the API (e.g. us-east-1)."
  type        = string
}

variable "table_name" {
  description = "The checkpoint table (docs/table-setup.md); the function reads it from AGENTS_TABLE."
  type        = string
  default     = "agent-checkpoints"
}

variable "replica_regions" {
  description = "Extra regions holding replicas of the table (global tables 2019.11.21). Writers of one thread should stay in one region: see docs/global-tables.md. With consistency_mode STRONG: two regions, or one plus witness_region."
  type        = list(string)
  default     = []
}

variable "consistency_mode" {
  description = "EVENTUAL (MREC, the default) or STRONG (MRSC: exactly three regions of one MRSC Region set counting var.region, and no TTL, so expired threads stay stored). Fixed when the replicas are created: see docs/global-tables.md."
  type        = string
  default     = "EVENTUAL"
  validation {
    condition     = contains(["EVENTUAL", "STRONG"], var.consistency_mode)
    error_message = "consistency_mode is \"EVENTUAL\" or \"STRONG\"."
  }
}

variable "witness_region" {
  description = "STRONG only: a region that holds a witness (quorum, no data access) instead of a third replica, with exactly one replica_regions entry. Empty: no witness."
  type        = string
  default     = ""
  nullable    = false
}

variable "deletion_protection" {
  description = "Refuse DeleteTable on the table (recommended in production)."
  type        = bool
  default     = false
}

variable "function_name" {
  description = "Name of the Lambda function (and of its log group and role)."
  type        = string
  default     = "agents-chat"
}

variable "architectures" {
  description = "The function's instruction set, as Lambda's own attribute: [\"x86_64\"] (default) or [\"arm64\"] (Graviton, about 20 % less per GB-second). It must match the package: x86_64 from `cmake --build --preset release --target lambda_zip`, arm64 from `scripts/lambda-package --arch arm64`."
  type        = list(string)
  default     = ["x86_64"]
  validation {
    condition     = length(var.architectures) == 1 && contains(["x86_64", "arm64"], var.architectures[0])
    error_message = "architectures is [\"x86_64\"] or [\"arm64\"] (Lambda takes exactly one)."
  }
}

variable "lambda_zip" {
  description = "The self-contained deployment package (bootstrap, bin/, lib/: docs/lambda.md). Empty: the one built for var.architectures, build/release/examples/lambda/agents-lambda.zip (x86_64) or build/lambda-arm64/examples/lambda/agents-lambda.zip (arm64)."
  type        = string
  default     = ""
}

variable "layers" {
  description = "Layer ARNs to add (the package needs none: it carries its shared libraries and loader)."
  type        = list(string)
  default     = []
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Seconds per invocation; a turn that calls a hosted model needs more than one that uses the offline model."
  type        = number
  default     = 30
}

variable "agents_ttl" {
  description = "Threads expire this long after their last save (AGENTS_TTL, e.g. 30d, 12h); empty keeps them forever."
  type        = string
  default     = "30d"
}

variable "agents_incremental" {
  description = "Incremental saves (AGENTS_INCREMENTAL): the history as append-only segments, so a turn's write cost does not grow with the conversation (docs/item-layout.md)."
  type        = bool
  default     = false
}

variable "openai_api_key" {
  description = "OPENAI_API_KEY for the function; empty uses the offline model. Prefer a secret store for production keys."
  type        = string
  default     = ""
  sensitive   = true
}

variable "openai_model" {
  description = "OPENAI_MODEL (e.g. gpt-4o-mini); empty keeps the library's default."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group."
  type        = number
  default     = 14
}

variable "xray_tracing" {
  description = "Active X-Ray tracing (adds the AWSXRayDaemonWriteAccess managed policy); PassThrough otherwise."
  type        = bool
  default     = false
}
