locals {
  # The key under which the packaged Lambda puts "Bearer <jwt>" in the authorizer context.
  context_key = "Authorization"

  _default_package = "${path.module}/../../lambda/dist/phantom-token-authorizer.zip"
  _package_in_s3   = var.function.package.s3_bucket != null
  package_filename = local._package_in_s3 ? null : coalesce(var.function.package.filename, local._default_package)

  _secret_in_ssm = var.introspection.client_secret_parameter_arn != null

  _environment = {
    CACHE_MAX_ENTRIES             = tostring(var.introspection.cache_max_entries)
    CACHE_TTL_SECONDS             = tostring(var.introspection.cache_ttl_seconds)
    CLIENT_ID                     = var.introspection.client_id
    CLIENT_SECRET_ARN             = var.introspection.client_secret_arn
    CLIENT_SECRET_PARAMETER       = var.introspection.client_secret_parameter_arn
    CONTEXT_CLAIMS                = join(" ", var.authorization.context_claims)
    DEFAULT_ROUTE                 = var.authorization.default_route
    INTROSPECTION_ENDPOINT        = var.introspection.endpoint
    INTROSPECTION_RESPONSE        = var.introspection.response_format
    INTROSPECTION_RETRIES         = tostring(var.introspection.retries)
    INTROSPECTION_TIMEOUT_SECONDS = tostring(var.introspection.timeout_seconds)
    LOG_LEVEL                     = var.function.log_level
    METRICS_NAMESPACE             = var.metrics_namespace
    POLICY_RESOURCE               = var.authorization.policy_resource
    REQUIRED_SCOPES               = join(" ", var.authorization.required_scopes)
    ROUTE_SCOPES                  = jsonencode({ for route, scopes in var.authorization.route_scopes : route => join(" ", scopes) })
    UNLISTED_ROUTES               = var.authorization.unlisted_routes
  }
  # Settings whose default is "none" are left out rather than set to "". Which names are left out
  # depends on inputs only, never on a value known after apply (such as a new secret's ARN).
  _unset = concat(
    local._secret_in_ssm ? ["CLIENT_SECRET_ARN"] : ["CLIENT_SECRET_PARAMETER"],
    length(var.authorization.required_scopes) == 0 ? ["REQUIRED_SCOPES"] : [],
    length(var.authorization.route_scopes) == 0 ? ["ROUTE_SCOPES"] : [],
    var.authorization.default_route == "scopes" ? ["DEFAULT_ROUTE"] : [],
    var.authorization.unlisted_routes == "required" ? ["UNLISTED_ROUTES"] : [],
  )
  environment = { for name, value in local._environment : name => value if !contains(local._unset, name) }
}

# The function's environment as planned, for whoever reviews the plan. The AWS provider shows a
# map attribute as "(known after apply)" as soon as one value in it is unknown, so when the
# secret is created in the same configuration its ARN would hide every other setting of the
# Lambda's environment: scopes, endpoint, response format. This resource holds the same map and
# the plan shows each known value, and "(known after apply)" for the ARN alone. It creates
# nothing outside Terraform's state.
resource "terraform_data" "environment" {
  input = local.environment
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:a customer managed key is optional (function.log_kms_key_arn): it costs money and needs a key policy for CloudWatch Logs; the logs hold no token or secret and are encrypted at rest either way
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.function.log_retention_in_days
  kms_key_id        = var.function.log_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:authorizers are invoked synchronously by API Gateway; a DLQ never receives events
  #checkov:skip=CKV_AWS_117:a VPC is optional (function.vpc): only an identity server in a private network needs one
  #checkov:skip=CKV_AWS_173:the environment holds no secret (the client secret is read from Secrets Manager or SSM at run time); AWS encrypts it at rest
  #checkov:skip=CKV_AWS_272:code signing is optional (function.code_signing_config_arn) because the signer profile belongs to the caller
  #checkov:skip=CKV_AWS_50:tracing_config is always set (function.tracing_mode, PassThrough by default); checkov cannot read optional() defaults
  #checkov:skip=CKV_AWS_115:reserved concurrency is optional (function.reserved_concurrent_executions); reserving by default would take capacity from every other function in the account
  function_name                  = var.name
  description                    = "Phantom token authorizer: introspects opaque tokens at ${var.introspection.endpoint}"
  role                           = local.role_arn
  handler                        = "phantom_token.handler.lambda_handler"
  runtime                        = var.function.runtime
  architectures                  = [var.function.architecture]
  memory_size                    = var.function.memory_size
  timeout                        = var.function.timeout
  reserved_concurrent_executions = var.function.reserved_concurrent_executions
  code_signing_config_arn        = var.function.code_signing_config_arn
  kms_key_arn                    = var.function.kms_key_arn
  layers                         = var.function.layers
  filename                       = local.package_filename
  s3_bucket                      = var.function.package.s3_bucket
  s3_key                         = var.function.package.s3_key
  s3_object_version              = var.function.package.s3_object_version
  source_code_hash = (
    local._package_in_s3
    ? var.function.package.source_code_hash
    : filebase64sha256(local.package_filename)
  )

  environment {
    variables = local.environment
  }

  dynamic "logging_config" {
    for_each = var.function.logging_config[*]

    content {
      log_format            = logging_config.value.log_format
      log_group             = aws_cloudwatch_log_group.this.name
      application_log_level = logging_config.value.application_log_level
      system_log_level      = logging_config.value.system_log_level
    }
  }

  tracing_config {
    mode = var.function.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = var.function.vpc[*]

    content {
      security_group_ids = vpc_config.value.security_group_ids
      subnet_ids         = vpc_config.value.subnet_ids
    }
  }

  tags = var.tags

  # The function must not create its own log group (no retention) before ours exists,
  # nor run before its role may write to it.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = var.function.timeout >= var.introspection.timeout_seconds * (var.introspection.retries + 1) + 1
      error_message = "function.timeout must leave room for every introspection attempt: introspection.timeout_seconds * (introspection.retries + 1) + 1 = ${var.introspection.timeout_seconds} * (${var.introspection.retries} + 1) + 1 = ${var.introspection.timeout_seconds * (var.introspection.retries + 1) + 1} seconds, but function.timeout is ${var.function.timeout}."
    }
  }
}
