provider "aws" {
  region = var.region
}

locals {
  name = "phantom-token-complete"

  # The routes behind the authorizer, keyed "METHOD /path" with the path as API Gateway holds
  # it, and the scopes each one needs. The authorizer decides per route: a token with
  # orders:read may delete an order's items but not the order. "GET /profile" needs no scope.
  route_scopes = {
    "GET /orders"               = ["orders:read"]
    "POST /orders"              = ["orders:write"]
    "GET /profile"              = []
    "DELETE /orders/{id}"       = ["orders:admin"]
    "DELETE /orders/{id}/items" = ["orders:read"]
  }

  tags = {
    Example = local.name
  }
}

module "phantom_token" {
  source = "../../"

  name     = local.name
  rest_api = aws_api_gateway_rest_api.this

  introspection = {
    endpoint          = var.introspection_endpoint
    client_id         = var.client_id
    client_secret_arn = aws_secretsmanager_secret.client_secret.arn
  }

  authorizer = {
    result_ttl_seconds = var.authorizer_cache_ttl_seconds
  }

  # Each route on its API Gateway resource, proxied to the same path at the backend: the
  # module maps path parameters such as {id} into the integration for you. GET /whoami is a
  # Lambda function (AWS_PROXY): the module grants API Gateway the permission to invoke it
  # from that route, and the function reads the JWT from its event.
  routes = merge(
    {
      for key, scopes in local.route_scopes : key => {
        resource = local.resources[split(" ", key)[1]]
        scopes   = scopes
        integration = {
          uri = "${trimsuffix(var.backend_url, "/")}${split(" ", key)[1]}"
        }
      }
    },
    {
      "GET /whoami" = {
        resource = aws_api_gateway_resource.whoami
        scopes   = ["profile:read"]
        integration = {
          type = "AWS_PROXY"
          uri  = aws_lambda_function.whoami.invoke_arn
        }
      }
    },
  )

  tags = local.tags
}

################################################################################
# Supporting Resources
################################################################################

resource "aws_api_gateway_rest_api" "this" {
  name        = local.name
  description = "Orders API protected with the phantom token pattern"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# The resource tree: /orders, /orders/{id}, /orders/{id}/items and /profile. A child names its
# parent, so nested resources cannot share one for_each.
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

resource "aws_api_gateway_resource" "order_items" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.order.id
  path_part   = "items"
}

resource "aws_api_gateway_resource" "profile" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "profile"
}

resource "aws_api_gateway_resource" "whoami" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "whoami"
}

locals {
  # Path -> API Gateway resource, for the routes above.
  resources = {
    "/orders"            = aws_api_gateway_resource.orders
    "/orders/{id}"       = aws_api_gateway_resource.order
    "/orders/{id}/items" = aws_api_gateway_resource.order_items
    "/profile"           = aws_api_gateway_resource.profile
    "/whoami"            = aws_api_gateway_resource.whoami
  }
}

# The backend of GET /whoami: a small Python function (whoami/whoami.py) that verifies the JWT
# with the identity server's keys and answers with its subject. whoami/whoami.zip is committed
# build output (whoami/build.py makes the same bytes from the same source), so that the
# example needs no archive provider and no Python at apply time.
resource "aws_lambda_function" "whoami" {
  #checkov:skip=CKV_AWS_116:invoked synchronously by API Gateway; a DLQ never receives events
  #checkov:skip=CKV_AWS_117:the function calls only the identity server's public JWKS endpoint; a VPC is the caller's choice
  #checkov:skip=CKV_AWS_173:the environment holds only the public JWKS URL; AWS encrypts it at rest
  #checkov:skip=CKV_AWS_272:code signing needs a signer profile that belongs to the caller
  #checkov:skip=CKV_AWS_115:reserved concurrency would take capacity from every other function in the account
  function_name    = "${local.name}-whoami"
  description      = "Example backend: verifies the phantom token's JWT and answers with its subject"
  role             = aws_iam_role.whoami.arn
  handler          = "whoami.lambda_handler"
  runtime          = "python3.13"
  architectures    = ["arm64"]
  memory_size      = 128
  timeout          = 10
  filename         = "${path.module}/whoami/whoami.zip"
  source_code_hash = filebase64sha256("${path.module}/whoami/whoami.zip")

  environment {
    variables = {
      JWKS_URI = var.jwks_uri
    }
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.whoami, aws_iam_role_policy.whoami]
}

resource "aws_cloudwatch_log_group" "whoami" {
  #checkov:skip=CKV_AWS_158:an example should not create a billable customer managed KMS key; the logs hold no token and are encrypted at rest either way
  name              = "/aws/lambda/${local.name}-whoami"
  retention_in_days = 365

  tags = local.tags
}

resource "aws_iam_role" "whoami" {
  name_prefix = "${local.name}-whoami-"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = local.tags
}

# Its own log group only: the function needs no other AWS access.
resource "aws_iam_role_policy" "whoami" {
  name = "write-own-logs"
  role = aws_iam_role.whoami.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.whoami.arn}:*"]
    }]
  })
}

# 0.1.0's example created /orders and /profile as aws_api_gateway_resource.this["orders"] and
# ["profile"]. These blocks carry them over on upgrade: without them Terraform deletes both
# resources, every method and integration on them, and creates them again (docs/UPGRADE-0.2.md).
moved {
  from = aws_api_gateway_resource.this["orders"]
  to   = aws_api_gateway_resource.orders
}

moved {
  from = aws_api_gateway_resource.this["profile"]
  to   = aws_api_gateway_resource.profile
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
  rest_api_id = aws_api_gateway_rest_api.this.id

  triggers = {
    phantom_token = module.phantom_token.deployment_trigger
    resources     = sha1(jsonencode([for path, resource in local.resources : resource.id]))
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
