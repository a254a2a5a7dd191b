output "authorizer_id" {
  description = "ID of the API Gateway authorizer."
  value       = module.phantom_token.authorizer_id
}

output "client_secret_arn" {
  description = "ARN of the Secrets Manager secret to put the introspection client secret in."
  value       = aws_secretsmanager_secret.client_secret.arn
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

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "whoami_function_name" {
  description = "Name of the Lambda function behind GET /whoami."
  value       = aws_lambda_function.whoami.function_name
}
