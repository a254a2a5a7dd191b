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
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = var.api_id
  integration_type       = "HTTP_PROXY"
  integration_method     = coalesce(var.integration.http_method, local._route_method)
  integration_uri        = var.integration.uri
  payload_format_version = "1.0"
  connection_type        = var.integration.connection_id == null ? "INTERNET" : "VPC_LINK"
  connection_id          = var.integration.connection_id
  timeout_milliseconds   = var.integration.timeout_milliseconds
  request_parameters     = merge(var.integration.request_parameters, local.jwt_header_mapping)

  lifecycle {
    precondition {
      condition     = length(local._jwt_header_overrides) == 0
      error_message = "integration.request_parameters must not map the ${var.jwt_header} header: it carries the JWT from the authorizer. Found: ${join(", ", local._jwt_header_overrides)}."
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
