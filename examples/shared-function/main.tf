provider "aws" {
  region = var.region
}

locals {
  name = "phantom-token-shared"

  # Two REST APIs served by one authorizer function. Each API gets its own authorizer (and so its
  # own invoke permission), gateway responses, protected method, deployment and stage.
  apis = {
    invoices = { description = "Invoices API", path = "invoices" }
    orders   = { description = "Orders API", path = "orders" }
  }

  tags = {
    Example = local.name
  }
}

# One Lambda function, role and log group for every API. Its settings (scopes, context claims,
# caches) are the same for all of them: an API that needs other settings gets its own function.
module "authorizer_function" {
  source = "../../modules/authorizer-function"

  name = local.name
  introspection = {
    endpoint          = var.introspection_endpoint
    client_id         = var.client_id
    client_secret_arn = aws_secretsmanager_secret.client_secret.arn
  }

  tags = local.tags
}

# Per API: an authorizer, and a permission that lets API Gateway invoke the function for that
# authorizer only (source_arn "<execution_arn>/authorizers/<id>").
module "authorizer" {
  source   = "../../modules/rest-api-authorizer"
  for_each = local.apis

  name     = "${local.name}-${each.key}"
  rest_api = aws_api_gateway_rest_api.this[each.key]
  function = {
    invoke_arn             = module.authorizer_function.lambda_function_invoke_arn
    name                   = module.authorizer_function.lambda_function_name
    route_identity_sources = module.authorizer_function.route_identity_sources
  }
}

# Per API: 401 with WWW-Authenticate, 403 insufficient_scope, JSON 500.
module "gateway_responses" {
  source   = "../../modules/gateway-responses"
  for_each = local.apis

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
}

# Per API: GET /<path> behind that API's authorizer, forwarding the JWT upstream.
module "protected_method" {
  source   = "../../modules/protected-method"
  for_each = local.apis

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  resource_id = aws_api_gateway_resource.this[each.key].id
  http_method = "GET"
  authorizer = {
    id          = module.authorizer[each.key].authorizer_id
    context_key = module.authorizer_function.authorizer_context_key
  }
  integration = {
    uri = "${trimsuffix(var.backend_url, "/")}/${each.value.path}"
  }
}

################################################################################
# Supporting Resources
################################################################################

resource "aws_api_gateway_rest_api" "this" {
  for_each = local.apis

  name        = "${local.name}-${each.key}"
  description = "${each.value.description} protected with the phantom token pattern"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "this" {
  for_each = local.apis

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id
  parent_id   = aws_api_gateway_rest_api.this[each.key].root_resource_id
  path_part   = each.value.path
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

resource "aws_api_gateway_deployment" "this" {
  for_each = local.apis

  rest_api_id = aws_api_gateway_rest_api.this[each.key].id

  triggers = {
    authorizer        = module.authorizer[each.key].deployment_trigger
    gateway_responses = module.gateway_responses[each.key].deployment_trigger
    method            = module.protected_method[each.key].deployment_trigger
    resource          = aws_api_gateway_resource.this[each.key].id
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
  for_each = local.apis

  rest_api_id   = aws_api_gateway_rest_api.this[each.key].id
  deployment_id = aws_api_gateway_deployment.this[each.key].id
  stage_name    = "live"

  tags = local.tags
}
