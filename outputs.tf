output "authorizer_context_key" {
  description = "The authorizer context key that holds \"Bearer <jwt>\": map `context.authorizer.<key>` in integrations you write yourself."
  value       = local.context_key

  # Checks across inputs live here: a variable's validation may not refer to another variable
  # before Terraform 1.9. This output depends on no resource, so its checks run even when a
  # resource's own precondition fails too.
  precondition {
    condition     = !(try(var.authorizer.type, null) == "TOKEN" && length(local.route_scopes) > 0)
    error_message = "authorizer.type = \"TOKEN\" cannot enforce per-route scopes (${join(", ", keys(local.route_scopes))}): API Gateway would cache one decision per token for every route. Leave authorizer.type unset, or set \"REQUEST\"."
  }
}

output "authorizer_id" {
  description = "ID of the API Gateway authorizer, for `aws_api_gateway_method.authorizer_id` with `authorization = \"CUSTOM\"`."
  value       = module.authorizer.authorizer_id

}

output "deployment_trigger" {
  description = "A hash of the authorizer, the protected methods and the gateway responses: put it in `aws_api_gateway_deployment.triggers` (with `create_before_destroy`) so the stage redeploys when they change."
  value = sha1(jsonencode([
    module.authorizer.deployment_trigger,
    { for key, route in module.routes : key => route.deployment_trigger },
    [for responses in module.gateway_responses : responses.deployment_trigger],
  ]))
}

output "integration_request_parameters" {
  description = "The integration `request_parameters` that forward the JWT upstream; merge them into integrations you write yourself."
  value       = { "integration.request.header.Authorization" = "context.authorizer.${local.context_key}" }
}

output "lambda_function_arn" {
  description = "ARN of the authorizer Lambda function."
  value       = module.function.lambda_function_arn
}

output "lambda_function_invoke_arn" {
  description = "Invoke ARN of the authorizer Lambda function (for authorizers you create yourself, e.g. on another API)."
  value       = module.function.lambda_function_invoke_arn
}

output "lambda_function_name" {
  description = "Name of the authorizer Lambda function."
  value       = module.function.lambda_function_name
}

output "lambda_role_arn" {
  description = "ARN of the authorizer function's IAM role."
  value       = module.function.lambda_role_arn
}

output "lambda_role_name" {
  description = "Name of the authorizer function's IAM role (to attach more policies, e.g. for a customer managed key)."
  value       = module.function.lambda_role_name
}

output "log_group_arn" {
  description = "ARN of the authorizer function's CloudWatch log group (for metric filters and subscriptions)."
  value       = module.function.log_group_arn
}

output "log_group_name" {
  description = "Name of the authorizer function's CloudWatch log group."
  value       = module.function.log_group_name
}
