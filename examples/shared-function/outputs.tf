output "authorizer_ids" {
  description = "ID of each API's authorizer, by API."
  value       = { for api, authorizer in module.authorizer : api => authorizer.authorizer_id }
}

output "client_secret_arn" {
  description = "ARN of the Secrets Manager secret to put the introspection client secret in."
  value       = aws_secretsmanager_secret.client_secret.arn
}

output "invoke_urls" {
  description = "Base URL of each API's live stage, by API."
  value       = { for api, stage in aws_api_gateway_stage.this : api => stage.invoke_url }
}

output "lambda_function_name" {
  description = "Name of the authorizer Lambda function that serves both APIs."
  value       = module.authorizer_function.lambda_function_name
}

output "rest_api_ids" {
  description = "ID of each REST API, by API."
  value       = { for api, rest_api in aws_api_gateway_rest_api.this : api => rest_api.id }
}
