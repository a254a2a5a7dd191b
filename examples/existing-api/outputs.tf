output "authorizer_id" {
  description = "ID of the API Gateway authorizer."
  value       = module.phantom_token.authorizer_id
}

output "invoke_url" {
  description = "Base URL of the live stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "lambda_function_name" {
  description = "Name of the authorizer Lambda function."
  value       = module.phantom_token.lambda_function_name
}

output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}
