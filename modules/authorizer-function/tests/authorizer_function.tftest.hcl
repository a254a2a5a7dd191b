# Native tests with a mocked AWS provider: `terraform init && terraform test` in this module.
mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/authorizer"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/authorizer"
    }
  }
}

variables {
  name = "authorizer"
  introspection = {
    endpoint          = "https://login.example.com/oauth/v2/oauth-introspect"
    client_id         = "gateway"
    client_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-AbCdEf"
  }
}

run "environment_follows_the_lambda_contract" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.handler == "phantom_token.handler.lambda_handler"
    error_message = "The handler must be phantom_token.handler.lambda_handler."
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      CACHE_MAX_ENTRIES             = "1000"
      CACHE_TTL_SECONDS             = "300"
      CLIENT_ID                     = "gateway"
      CLIENT_SECRET_ARN             = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-AbCdEf"
      CONTEXT_CLAIMS                = "sub scope client_id"
      INTROSPECTION_ENDPOINT        = "https://login.example.com/oauth/v2/oauth-introspect"
      INTROSPECTION_RESPONSE        = "jwt"
      INTROSPECTION_RETRIES         = "1"
      INTROSPECTION_TIMEOUT_SECONDS = "3"
      LOG_LEVEL                     = "INFO"
      METRICS_NAMESPACE             = "PhantomToken"
      POLICY_RESOURCE               = "stage"
    })
    error_message = "The environment must hold the contract's variables with their defaults, and no secret value."
  }

  assert {
    condition     = output.authorizer_context_key == "Authorization"
    error_message = "The packaged Lambda puts the JWT under the Authorization context key."
  }
}

run "role_reads_only_its_secret_and_writes_only_its_log_group" {
  variables {
    introspection = {
      endpoint                    = "https://login.example.com/oauth/v2/oauth-introspect"
      client_id                   = "gateway"
      client_secret_parameter_arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/gateway/secret"
      client_secret_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    }
  }

  assert {
    # Statements come sorted by Sid.
    condition = jsondecode(aws_iam_role_policy.this[0].policy).Statement == [
      {
        Sid       = "DecryptClientSecret"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = ["arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"]
        Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" } }
      },
      {
        Sid      = "ReadClientSecret"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = ["arn:aws:ssm:eu-west-1:123456789012:parameter/gateway/secret"]
      },
      {
        Sid      = "WriteOwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/authorizer:*"]
      },
    ]
    error_message = "The role may write to its own log group, read its one secret and decrypt it through SSM only."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["CLIENT_SECRET_PARAMETER"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/gateway/secret" && !contains(keys(aws_lambda_function.this.environment[0].variables), "CLIENT_SECRET_ARN")
    error_message = "An SSM parameter goes to CLIENT_SECRET_PARAMETER only."
  }
}

run "plain_http_only_for_loopback" {
  command = plan

  variables {
    introspection = {
      endpoint          = "http://[::1]:8443/introspect"
      client_id         = "gateway"
      client_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-AbCdEf"
    }
  }
}

run "plain_http_elsewhere_is_rejected" {
  command = plan

  variables {
    introspection = {
      endpoint          = "http://login.example.com/introspect"
      client_id         = "gateway"
      client_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-AbCdEf"
    }
  }

  expect_failures = [var.introspection]
}

run "route_without_method_is_rejected" {
  command = plan

  variables {
    authorization = {
      route_scopes = { "/orders" = ["orders:read"] }
    }
  }

  expect_failures = [var.authorization]
}
