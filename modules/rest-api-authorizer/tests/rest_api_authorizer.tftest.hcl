# Native tests with a mocked AWS provider: `terraform init && terraform test` in this module.
mock_provider "aws" {
  mock_resource "aws_api_gateway_authorizer" {
    defaults = {
      id = "authz01"
    }
  }
}

variables {
  name = "authorizer"
  rest_api = {
    id            = "a1b2c3d4e5"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  }
  function = {
    name                   = "authorizer"
    invoke_arn             = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:authorizer/invocations"
    route_identity_sources = []
  }
}

run "token_authorizer_with_a_scoped_permission" {
  assert {
    condition     = aws_api_gateway_authorizer.this.type == "TOKEN" && aws_api_gateway_authorizer.this.identity_source == "method.request.header.Authorization"
    error_message = "The default is a TOKEN authorizer on the Authorization header."
  }

  assert {
    condition     = aws_api_gateway_authorizer.this.authorizer_result_ttl_in_seconds == 300
    error_message = "Decisions are cached for 300 seconds by default."
  }

  assert {
    condition     = can(regex(aws_api_gateway_authorizer.this.identity_validation_expression, "Bearer abc")) && !can(regex(aws_api_gateway_authorizer.this.identity_validation_expression, "Basic abc"))
    error_message = "The validation expression accepts bearer tokens only."
  }

  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/authorizers/authz01"
    error_message = "The invoke permission is scoped to this authorizer."
  }
}

run "request_authorizer_has_no_validation_expression" {
  command = plan

  variables {
    authorizer = {
      type               = "REQUEST"
      identity_sources   = ["method.request.header.Authorization", "context.domainName"]
      result_ttl_seconds = 0
    }
  }

  assert {
    condition     = aws_api_gateway_authorizer.this.identity_validation_expression == null && aws_api_gateway_authorizer.this.identity_source == "method.request.header.Authorization,context.domainName"
    error_message = "A REQUEST authorizer takes its identity sources and no validation expression."
  }
}

run "ttl_above_an_hour_is_rejected" {
  command = plan

  variables {
    authorizer = { result_ttl_seconds = 7200 }
  }

  expect_failures = [var.authorizer]
}

run "a_function_deciding_per_route_needs_the_route_in_the_cache_key" {
  command = plan

  variables {
    function = {
      name                   = "authorizer"
      invoke_arn             = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:authorizer/invocations"
      route_identity_sources = ["method.request.header.Authorization", "context.httpMethod", "context.resourceId"]
    }
    authorizer = {
      type             = "REQUEST"
      identity_sources = ["method.request.header.Authorization"]
    }
  }

  expect_failures = [aws_api_gateway_authorizer.this]
}

run "route_pinning_identity_sources_satisfy_a_function_deciding_per_route" {
  command = plan

  variables {
    function = {
      name                   = "authorizer"
      invoke_arn             = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:authorizer/invocations"
      route_identity_sources = ["method.request.header.Authorization", "context.httpMethod", "context.resourceId"]
    }
    authorizer = {
      type             = "REQUEST"
      identity_sources = ["method.request.header.Authorization", "context.httpMethod", "context.resourceId"]
    }
  }

  assert {
    condition     = aws_api_gateway_authorizer.this.identity_source == "method.request.header.Authorization,context.httpMethod,context.resourceId"
    error_message = "The route-pinning identity sources are accepted."
  }
}
