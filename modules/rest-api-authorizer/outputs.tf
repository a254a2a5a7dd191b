output "authorizer_id" {
  description = "ID of the API Gateway authorizer, for `aws_api_gateway_method.authorizer_id`."
  value       = aws_api_gateway_authorizer.this.id
}

output "deployment_trigger" {
  description = "Changes whenever the authorizer changes: feed it into `aws_api_gateway_deployment.triggers`."
  value = sha1(jsonencode([
    aws_api_gateway_authorizer.this.id,
    var.authorizer,
    var.function.invoke_arn,
    local.bearer_expression,
  ]))
}
