# An HTTP API (API Gateway v2) Lambda authorizer. Payload format 2.0 with simple responses: the
# function answers {"isAuthorized": bool, "context": {...}} instead of an IAM policy.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
resource "aws_apigatewayv2_authorizer" "this" {
  name                              = var.name
  api_id                            = var.http_api.id
  authorizer_type                   = "REQUEST"
  authorizer_uri                    = var.function.invoke_arn
  authorizer_payload_format_version = "2.0"
  enable_simple_responses           = true
  # A request that lacks one of these is answered 401 without invoking the function; the
  # values together are the key of API Gateway's cache of decisions.
  identity_sources                 = var.authorizer.identity_sources
  authorizer_result_ttl_in_seconds = var.authorizer.result_ttl_seconds
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowApiGatewayAuthorizer-${aws_apigatewayv2_authorizer.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = var.function.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.http_api.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.this.id}"
}
