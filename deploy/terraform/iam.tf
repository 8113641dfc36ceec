# The function's role: the runtime policy of docs/iam-policy.md on the table, and writing its own
# log group. Nothing else (no DescribeTable, no CreateTable: the table is created here).
data "aws_iam_policy_document" "assume_lambda" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "checkpoints" {
  statement {
    sid    = "AgentCheckpoints"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Scan",
    ]
    resources = [aws_dynamodb_table.checkpoints.arn]
  }
}

resource "aws_iam_role_policy" "checkpoints" {
  name   = "agent-checkpoints"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.checkpoints.json
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "OwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "logs"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_iam_role_policy_attachment" "xray" {
  count      = var.xray_tracing ? 1 : 0
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}
