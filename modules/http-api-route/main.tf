locals {
  # The authorizer's "Bearer <jwt>" travels upstream in its own header: Authorization is reserved
  # for HTTP API parameter mapping, so the client's opaque token stays in Authorization.
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html#http-api-mapping-reserved-headers
  # "overwrite" replaces any value the client sent in that header itself.
  jwt_header_mapping = {
    "overwrite:header.${var.jwt_header}" = "$context.authorizer.${var.authorizer.context_key}"
  }
  # Header names are case-insensitive: any mapping of the JWT header would fight the module's.
  _jwt_header_overrides = [
    for key in keys(var.integration.request_parameters) : jsonencode(key)
    if lower(replace(key, "/^(append|overwrite|remove):header\\./", "")) == lower(var.jwt_header) && can(regex("^(append|overwrite|remove):header\\.", key))
  ]
  _route_method = var.route_key == "$default" ? "ANY" : split(" ", var.route_key)[0]

  # A Lambda proxy integration maps nothing: payload format 2.0 hands the function the
  # authorizer's context as requestContext.authorizer.lambda.<context_key>.
  # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
  lambda_proxy = var.integration.type == "AWS_PROXY"
  # The function named by the invoke ARN; regex() of a value unknown at plan is unknown.
  lambda_function_arn = local.lambda_proxy ? one(regex("/functions/(arn:[^/]+)/invocations$", var.integration.uri)) : null
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = var.api_id
  integration_type       = var.integration.type
  integration_method     = local.lambda_proxy ? "POST" : coalesce(var.integration.http_method, local._route_method)
  integration_uri        = var.integration.uri
  payload_format_version = local.lambda_proxy ? "2.0" : "1.0"
  connection_type        = var.integration.connection_id == null ? "INTERNET" : "VPC_LINK"
  connection_id          = var.integration.connection_id
  timeout_milliseconds   = var.integration.timeout_milliseconds
  request_parameters     = local.lambda_proxy ? null : merge(var.integration.request_parameters, local.jwt_header_mapping)

  lifecycle {
    precondition {
      condition     = length(local._jwt_header_overrides) == 0
      error_message = "integration.request_parameters must not map the ${var.jwt_header} header: it carries the JWT from the authorizer. Found: ${join(", ", local._jwt_header_overrides)}."
    }
    precondition {
      condition     = !local.lambda_proxy || (length(var.integration.request_parameters) == 0 && var.integration.connection_id == null && var.integration.http_method == null)
      error_message = "An AWS_PROXY (Lambda) integration takes uri and timeout_milliseconds only: API Gateway invokes the function with POST, over no VPC link, with the whole request in its payload 2.0 event (no request_parameters)."
    }
  }
}

# The function's resource policy lets this API invoke it from this route only:
# <execution_arn>/<stage>/<METHOD><path> (any stage, ANY as "*", path parameters as "*"), or
# <execution_arn>/*/$default for the catch-all.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
resource "aws_lambda_permission" "this" {
  count = local.lambda_proxy ? 1 : 0

  statement_id  = "AllowApiGateway-${var.api_id}-${aws_apigatewayv2_route.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = local.lambda_function_arn
  principal     = "apigateway.amazonaws.com"
  source_arn = (
    var.route_key == "$default"
    ? "${coalesce(var.execution_arn, "-")}/*/$default"
    : "${coalesce(var.execution_arn, "-")}/*/${local._route_method == "ANY" ? "*" : local._route_method}${replace(split(" ", var.route_key)[1], "/\\{[^}]+\\}/", "*")}"
  )

  lifecycle {
    precondition {
      condition     = var.execution_arn != null
      error_message = "An AWS_PROXY integration needs execution_arn (the HTTP API's) for the function's permission."
    }
  }
}

resource "aws_apigatewayv2_route" "this" {
  api_id             = var.api_id
  route_key          = var.route_key
  authorization_type = "CUSTOM"
  authorizer_id      = var.authorizer.id
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
}
