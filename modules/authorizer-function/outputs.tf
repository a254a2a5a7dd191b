output "authorizer_context_key" {
  description = "The authorizer context key under which the function returns \"Bearer <jwt>\"."
  value       = local.context_key
}

output "lambda_function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "lambda_function_invoke_arn" {
  description = "Invoke ARN of the Lambda function, for an API Gateway authorizer's `authorizer_uri`."
  value       = aws_lambda_function.this.invoke_arn
}

output "lambda_function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_timeout" {
  description = "Timeout of the Lambda function, in seconds."
  value       = aws_lambda_function.this.timeout
}

output "lambda_role_arn" {
  description = "ARN of the function's IAM role."
  value       = local.role_arn
}

output "lambda_role_name" {
  description = "Name of the function's IAM role."
  value       = local.role_name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "route_identity_sources" {
  description = "The identity sources a REST authorizer's cache key must include for this function's decisions: the Authorization header, `context.httpMethod` and `context.resourceId` when it enforces per-route scopes, else `[]`. Pass it to modules/rest-api-authorizer's `function.route_identity_sources`."
  value       = length(var.authorization.route_scopes) == 0 ? [] : ["method.request.header.Authorization", "context.httpMethod", "context.resourceId"]
}
