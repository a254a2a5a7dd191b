output "authorizer_id" {
  description = "ID of the HTTP API authorizer."
  value       = module.phantom_token.authorizer_id
}

output "client_secret_arn" {
  description = "ARN of the Secrets Manager secret to put the introspection client secret in."
  value       = aws_secretsmanager_secret.client_secret.arn
}

output "http_api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "invoke_url" {
  description = "Base URL of the live stage."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "jwt_header" {
  description = "The request header in which the backend receives \"Bearer <jwt>\"."
  value       = module.phantom_token.http_api_jwt_header
}

output "lambda_function_name" {
  description = "Name of the authorizer Lambda function."
  value       = module.phantom_token.lambda_function_name
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_apigatewayv2_stage.this.name
}

output "protected_route_keys" {
  description = "The route keys the module put behind the authorizer, `$default` included: compare them with the API's routes."
  value       = module.phantom_token.protected_route_keys
}
