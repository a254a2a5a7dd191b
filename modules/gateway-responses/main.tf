locals {
  # Browsers read a cross-origin answer only when it names their origin; exposing
  # WWW-Authenticate lets a single-page application tell 401 from 403.
  _cors_headers = var.cors_allowed_origin == null ? {} : {
    "gatewayresponse.header.Access-Control-Allow-Origin"   = "'${var.cors_allowed_origin}'"
    "gatewayresponse.header.Access-Control-Expose-Headers" = "'WWW-Authenticate'"
  }
  _responses = {
    # No token, a malformed one, or one the identity server says is inactive (RFC 6750 3).
    UNAUTHORIZED = {
      status_code = "401"
      headers     = { "gatewayresponse.header.WWW-Authenticate" = "'Bearer'" }
    }
    # An active token without the scopes the route needs (RFC 6750 3.1).
    ACCESS_DENIED = {
      status_code = "403"
      headers     = { "gatewayresponse.header.WWW-Authenticate" = "'Bearer error=\"insufficient_scope\"'" }
    }
    # The authorizer failed (identity server unreachable, misconfiguration): fail closed.
    AUTHORIZER_FAILURE = {
      status_code = "500"
      headers     = {}
    }
  }
  responses = {
    for type, response in local._responses : type => {
      status_code         = response.status_code
      response_parameters = merge(response.headers, local._cors_headers)
    }
  }
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.responses

  rest_api_id         = var.rest_api_id
  response_type       = each.key
  status_code         = each.value.status_code
  response_parameters = each.value.response_parameters
  response_templates = {
    "application/json" = "{\"message\":$context.error.messageString}"
  }
}
