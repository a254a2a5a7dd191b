locals {
  # The authorizer's "Bearer <jwt>" becomes the upstream request's Authorization header.
  jwt_header_mapping = {
    "integration.request.header.Authorization" = "context.authorizer.${var.authorizer.context_key}"
  }

  # A non-proxy integration answers nothing until a response is mapped: pass 200 through.
  _passthrough_responses = var.integration.type == "HTTP" ? { "200" = "" } : {}
}

resource "aws_api_gateway_method" "this" {
  #checkov:skip=CKV2_AWS_53:the authorizer validates the token; the body and parameters are the backend's to validate (HTTP_PROXY passes them through)
  rest_api_id        = var.rest_api_id
  resource_id        = var.resource_id
  http_method        = var.http_method
  authorization      = "CUSTOM"
  authorizer_id      = var.authorizer.id
  request_parameters = var.request_parameters

  lifecycle {
    # Scopes are enforced per route key: a method on another resource than its key names would
    # get none of its scopes.
    precondition {
      condition     = var.path_check == null || try(var.path_check.actual == var.path_check.expected, false)
      error_message = "The method ${var.http_method} ${try(var.path_check.expected, "")} would be created on the resource ${try(var.path_check.actual, "")}: a route key must name its resource's path."
    }
  }
}

resource "aws_api_gateway_integration" "this" {
  rest_api_id             = var.rest_api_id
  resource_id             = var.resource_id
  http_method             = aws_api_gateway_method.this.http_method
  type                    = var.integration.type
  integration_http_method = coalesce(var.integration.http_method, var.http_method)
  uri                     = var.integration.uri
  connection_type         = var.integration.connection_id == null ? "INTERNET" : "VPC_LINK"
  connection_id           = var.integration.connection_id
  timeout_milliseconds    = var.integration.timeout_milliseconds
  request_parameters      = merge(var.integration.request_parameters, local.jwt_header_mapping)
}

resource "aws_api_gateway_method_response" "this" {
  for_each = local._passthrough_responses

  rest_api_id = var.rest_api_id
  resource_id = var.resource_id
  http_method = aws_api_gateway_method.this.http_method
  status_code = each.key
}

resource "aws_api_gateway_integration_response" "this" {
  for_each = local._passthrough_responses

  rest_api_id       = var.rest_api_id
  resource_id       = var.resource_id
  http_method       = aws_api_gateway_method.this.http_method
  status_code       = aws_api_gateway_method_response.this[each.key].status_code
  selection_pattern = each.value

  depends_on = [aws_api_gateway_integration.this]
}
