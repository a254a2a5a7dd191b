output "deployment_trigger" {
  description = "Changes whenever the method or its integration changes: feed it into `aws_api_gateway_deployment.triggers`."
  # Inputs rather than read-back attributes: API Gateway may echo an empty map for an unset one.
  value = sha1(jsonencode([
    aws_api_gateway_method.this.id,
    aws_api_gateway_integration.this.id,
    var.authorizer,
    var.http_method,
    var.integration,
    var.request_parameters,
    keys(local._passthrough_responses),
  ]))
}

output "http_method" {
  description = "HTTP method of the protected method."
  value       = aws_api_gateway_method.this.http_method
}

output "request_parameters" {
  description = "The integration's request parameters, including the JWT header mapping."
  value       = aws_api_gateway_integration.this.request_parameters
}
