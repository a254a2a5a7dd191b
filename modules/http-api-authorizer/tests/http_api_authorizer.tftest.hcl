# Native tests with a mocked AWS provider: `terraform init && terraform test` in this module.
mock_provider "aws" {
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = {
      id = "authz01"
    }
  }
}

variables {
  name = "authorizer"
  http_api = {
    id            = "h1t2p3a4p5"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5"
  }
  function = {
    name       = "authorizer"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:authorizer/invocations"
  }
}

run "request_authorizer_with_simple_responses_and_a_scoped_permission" {
  assert {
    condition = (
      aws_apigatewayv2_authorizer.this.authorizer_type == "REQUEST"
      && aws_apigatewayv2_authorizer.this.authorizer_payload_format_version == "2.0"
      && aws_apigatewayv2_authorizer.this.enable_simple_responses == true
    )
    error_message = "An HTTP API authorizer takes payload format 2.0 and answers simple responses."
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this.identity_sources == toset(["$request.header.Authorization"]) && aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds == 300
    error_message = "By default the token alone is the cache key, for 300 seconds."
  }

  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5/authorizers/authz01"
    error_message = "The invoke permission is scoped to this authorizer."
  }
}

run "route_key_joins_the_cache_key" {
  command = plan

  variables {
    authorizer = { identity_sources = ["$request.header.Authorization", "$context.routeKey"] }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this.identity_sources == toset(["$request.header.Authorization", "$context.routeKey"])
    error_message = "The identity sources are taken as given."
  }
}

run "rest_identity_sources_are_rejected" {
  command = plan

  variables {
    authorizer = { identity_sources = ["method.request.header.Authorization"] }
  }

  expect_failures = [var.authorizer]
}

run "cache_without_the_token_is_rejected" {
  command = plan

  variables {
    authorizer = { identity_sources = ["$context.routeKey"] }
  }

  expect_failures = [var.authorizer]
}

run "ttl_above_an_hour_is_rejected" {
  command = plan

  variables {
    authorizer = { result_ttl_seconds = 7200 }
  }

  expect_failures = [var.authorizer]
}
