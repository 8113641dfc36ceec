# The chat handler as a custom runtime: `bootstrap` at the root of the zip, on provided.al2023.
locals {
  lambda_zip = var.lambda_zip != "" ? var.lambda_zip : (
    var.architectures[0] == "arm64" ? "../../build/lambda-arm64/examples/lambda/agents-lambda.zip"
    : "../../build/release/examples/lambda/agents-lambda.zip"
  )
}

resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "chat" {
  function_name    = var.function_name
  role             = aws_iam_role.lambda.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = var.architectures
  filename         = local.lambda_zip
  source_code_hash = filebase64sha256(local.lambda_zip)
  memory_size      = var.memory_size
  timeout          = var.timeout
  layers           = var.layers

  environment {
    variables = merge(
      { AGENTS_TABLE = aws_dynamodb_table.checkpoints.name },
      var.agents_ttl == "" ? {} : { AGENTS_TTL = var.agents_ttl },
      var.agents_incremental ? { AGENTS_INCREMENTAL = "1" } : {},
      var.openai_api_key == "" ? {} : { OPENAI_API_KEY = var.openai_api_key },
      var.openai_model == "" ? {} : { OPENAI_MODEL = var.openai_model },
    )
  }

  tracing_config {
    mode = var.xray_tracing ? "Active" : "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.logs]
}
