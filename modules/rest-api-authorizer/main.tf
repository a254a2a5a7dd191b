locals {
  # What API Gateway accepts before it invokes the function at all: "Bearer" (any case), one or
  # more spaces, an RFC 6750 b64token. Anything else is a 401 without a Lambda invocation.
  bearer_expression = "^\\s*[Bb][Ee][Aa][Rr][Ee][Rr] +[A-Za-z0-9._~+/-]+=*\\s*$"
}

resource "aws_api_gateway_authorizer" "this" {
  name                             = var.name
  rest_api_id                      = var.rest_api.id
  type                             = var.authorizer.type
  authorizer_uri                   = var.function.invoke_arn
  identity_source                  = join(",", var.authorizer.identity_sources)
  identity_validation_expression   = var.authorizer.type == "TOKEN" ? local.bearer_expression : null
  authorizer_result_ttl_in_seconds = var.authorizer.result_ttl_seconds

  lifecycle {
    # A function that decides per route needs the route in the cache key, or API Gateway would
    # serve one route's cached Allow on every route called with the same token.
    precondition {
      condition = length(var.function.route_identity_sources) == 0 || var.authorizer.result_ttl_seconds == 0 || (
        var.authorizer.type == "REQUEST" && length(setsubtract(var.function.route_identity_sources, var.authorizer.identity_sources)) == 0
      )
      error_message = "The function enforces per-route scopes: the authorizer must be a REQUEST authorizer whose identity_sources include ${join(", ", var.function.route_identity_sources)} (or result_ttl_seconds = 0); it is ${var.authorizer.type} with ${join(", ", var.authorizer.identity_sources)}."
    }
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowApiGatewayAuthorizer-${aws_api_gateway_authorizer.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = var.function.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${var.rest_api.execution_arn}/authorizers/${aws_api_gateway_authorizer.this.id}"
}
