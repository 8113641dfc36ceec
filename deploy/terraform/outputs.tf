output "chat_url" {
  description = "POST {\"thread_id\":\"...\",\"message\":\"...\"} here."
  value       = "${aws_apigatewayv2_api.chat.api_endpoint}/chat"
}

output "table_name" {
  value = aws_dynamodb_table.checkpoints.name
}

output "table_arn" {
  value = aws_dynamodb_table.checkpoints.arn
}

output "function_name" {
  value = aws_lambda_function.chat.function_name
}
