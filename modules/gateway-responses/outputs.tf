output "deployment_trigger" {
  description = "Changes whenever the gateway responses change: feed it into `aws_api_gateway_deployment.triggers` (with `create_before_destroy`), since a stage serves them only after a new deployment."
  # "GatewayResponse ... The update requires redeploying the API":
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html
  value = sha1(jsonencode([
    [for response in aws_api_gateway_gateway_response.this : response.id],
    local.responses,
  ]))
}
