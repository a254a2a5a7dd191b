output "integration_id" {
  description = "ID of the route's integration (HTTP_PROXY or AWS_PROXY)."
  value       = aws_apigatewayv2_integration.this.id
}

output "request_parameters" {
  description = "The integration's request parameters, including the JWT header mapping."
  value       = aws_apigatewayv2_integration.this.request_parameters
}

output "route_id" {
  description = "ID of the protected route."
  value       = aws_apigatewayv2_route.this.id
}
