output "authorizer_id" {
  description = "ID of the HTTP API authorizer, for `aws_apigatewayv2_route.authorizer_id` with `authorization_type = \"CUSTOM\"`."
  value       = aws_apigatewayv2_authorizer.this.id
}
