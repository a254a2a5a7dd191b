provider "aws" {
  region = var.region
}

locals {
  name = "phantom-token-existing-api"

  tags = {
    Example = local.name
  }
}

# Only the authorizer: the API, its methods and its deployment belong to another configuration,
# which wires them through this module's outputs (see "Existing API" below).
module "phantom_token" {
  source = "../../"

  name     = local.name
  rest_api = aws_api_gateway_rest_api.this

  introspection = {
    endpoint                    = var.introspection_endpoint
    client_id                   = "orders-api-gateway"
    client_secret_parameter_arn = var.client_secret_parameter_arn
  }

  # The routes are not created here, but the authorizer still enforces their scopes; a method
  # this table does not name is denied (scopes.unlisted_routes defaults to "deny").
  scopes = {
    routes = {
      "GET /orders/{id}"    = ["orders:read"]
      "DELETE /orders/{id}" = ["orders:admin"]
    }
  }

  gateway_responses = {
    cors_allowed_origin = "https://app.example.com"
  }

  tags = local.tags
}

################################################################################
# Existing API (normally managed elsewhere)
################################################################################

resource "aws_api_gateway_rest_api" "this" {
  name        = local.name
  description = "An API whose methods are managed outside the phantom token module"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_resource" "order" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.orders.id
  path_part   = "{id}"
}

resource "aws_api_gateway_method" "order" {
  #checkov:skip=CKV2_AWS_53:the authorizer validates the token; the body and parameters are the backend's to validate (HTTP_PROXY passes them through)
  for_each = toset(["GET", "DELETE"])

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = aws_api_gateway_resource.order.id
  http_method   = each.key
  authorization = "CUSTOM"
  authorizer_id = module.phantom_token.authorizer_id
  request_parameters = {
    "method.request.path.id" = true
  }
}

resource "aws_api_gateway_integration" "order" {
  for_each = aws_api_gateway_method.order

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.order.id
  http_method             = each.value.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = each.value.http_method
  uri                     = "${trimsuffix(var.backend_url, "/")}/orders/{id}"
  # The module's mapping forwards "Bearer <jwt>" from the authorizer context upstream.
  request_parameters = merge(module.phantom_token.integration_request_parameters, {
    "integration.request.path.id" = "method.request.path.id"
  })
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    phantom_token = module.phantom_token.deployment_trigger
    methods = sha1(jsonencode([
      for method, integration in aws_api_gateway_integration.order :
      [aws_api_gateway_method.order[method].id, integration.id, integration.uri, integration.request_parameters]
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_73:X-Ray tracing of the stage is a cost decision for the caller; the example keeps it off
  #checkov:skip=CKV_AWS_76:access logging needs an account-wide CloudWatch role for API Gateway, which an example must not change
  #checkov:skip=CKV_AWS_120:response caching would serve one caller's response to another; the authorizer has its own cache
  #checkov:skip=CKV2_AWS_29:a WAF web ACL is a per-organisation choice outside this example
  #checkov:skip=CKV2_AWS_51:clients authenticate with OAuth tokens and the backend verifies the forwarded JWT; a backend client certificate is the caller's choice
  #checkov:skip=CKV2_AWS_4:the API Gateway logging level is set by aws_api_gateway_method_settings, which needs the account-wide CloudWatch role
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = "live"

  tags = local.tags
}
