provider "aws" {
  region = var.region
}

locals {
  name = "phantom-token-http-api"

  # The routes behind the authorizer, keyed "METHOD /path" exactly as the HTTP API's route
  # keys, and the scopes each one needs. "GET /profile" needs no scope beyond a valid token.
  route_scopes = {
    "GET /orders"  = ["orders:read"]
    "POST /orders" = ["orders:write"]
    "GET /profile" = []
  }

  tags = {
    Example = local.name
  }
}

module "phantom_token" {
  source = "../../"

  name     = local.name
  http_api = aws_apigatewayv2_api.this

  introspection = {
    endpoint          = var.introspection_endpoint
    client_id         = var.client_id
    client_secret_arn = aws_secretsmanager_secret.client_secret.arn
  }

  authorizer = {
    result_ttl_seconds = var.authorizer_cache_ttl_seconds
  }

  # Each route proxied to the same path at the backend. The JWT reaches the backend in the
  # X-Phantom-Token header (module.phantom_token.http_api_jwt_header).
  routes = {
    for key, scopes in local.route_scopes : key => {
      scopes = scopes
      integration = {
        uri = "${trimsuffix(var.backend_url, "/")}${split(" ", key)[1]}"
      }
    }
  }

  tags = local.tags
}

################################################################################
# Supporting Resources
################################################################################

resource "aws_apigatewayv2_api" "this" {
  name          = local.name
  description   = "Orders API protected with the phantom token pattern"
  protocol_type = "HTTP"

  tags = local.tags
}

# Routes and integrations are deployed by the stage itself: no deployment resource to trigger.
resource "aws_apigatewayv2_stage" "this" {
  #checkov:skip=CKV_AWS_76:access logging needs a log group and format chosen by the caller; the example keeps it off
  api_id      = aws_apigatewayv2_api.this.id
  name        = "live"
  auto_deploy = true

  tags = local.tags
}

# The authorizer's introspection client secret. Terraform creates the secret without a value
# so that the value never lands in state: put it in with
#   aws secretsmanager put-secret-value --secret-id <client_secret_arn> --secret-string '...'
resource "aws_secretsmanager_secret" "client_secret" {
  #checkov:skip=CKV2_AWS_57:the client secret is issued by the identity server; rotate it there, then put the new value here
  #checkov:skip=CKV_AWS_149:an example should not create a billable customer managed KMS key; production callers set kms_key_id and introspection.client_secret_kms_key_arn
  name_prefix = "${local.name}-client-secret-"
  description = "Client secret of ${var.client_id} at the identity server"

  tags = local.tags
}
