terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # replica.consistency_mode came in 6.3 and global_table_witness in 6.22; Terraform rejects a
      # block type the provider does not know even when it is empty, so EVENTUAL needs 6.22 too.
      version = ">= 6.22"
    }
  }
}

provider "aws" {
  region = var.region
}
