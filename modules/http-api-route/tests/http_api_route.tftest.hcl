# Native tests with a mocked AWS provider: `terraform init && terraform test` in this module.
mock_provider "aws" {
  mock_resource "aws_apigatewayv2_integration" {
    defaults = {
      id = "integ01"
    }
  }
}

variables {
  api_id    = "h1t2p3a4p5"
  route_key = "GET /orders/{id}"
  authorizer = {
    id          = "authz01"
    context_key = "Authorization"
  }
  integration = {
    uri = "https://backend.example.com/orders/{id}"
    request_parameters = {
      "append:header.X-Request-Id" = "$context.requestId"
    }
  }
}

run "route_is_custom_and_forwards_the_jwt_in_its_header" {
  assert {
    condition = (
      aws_apigatewayv2_route.this.authorization_type == "CUSTOM"
      && aws_apigatewayv2_route.this.authorizer_id == "authz01"
      && aws_apigatewayv2_route.this.route_key == "GET /orders/{id}"
      && aws_apigatewayv2_route.this.target == "integrations/integ01"
    )
    error_message = "The route must use the custom authorizer and target its integration."
  }

  assert {
    condition = aws_apigatewayv2_integration.this.request_parameters == tomap({
      "overwrite:header.X-Phantom-Token" = "$context.authorizer.Authorization"
      "append:header.X-Request-Id"       = "$context.requestId"
    })
    error_message = "The integration forwards the JWT in X-Phantom-Token and keeps the caller's mappings."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.this.integration_type == "HTTP_PROXY"
      && aws_apigatewayv2_integration.this.integration_method == "GET"
      && aws_apigatewayv2_integration.this.payload_format_version == "1.0"
      && aws_apigatewayv2_integration.this.connection_type == "INTERNET"
      && aws_apigatewayv2_integration.this.timeout_milliseconds == 30000
    )
    error_message = "An HTTP proxy integration with the route's method, over the internet."
  }
}

run "another_jwt_header_and_a_vpc_link" {
  command = plan

  variables {
    route_key  = "$default"
    jwt_header = "X-Upstream-Jwt"
    integration = {
      uri           = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/50dc6c495c0c9188/0467ef3c8400ae65"
      connection_id = "vpclink1"
    }
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.this.request_parameters == tomap({ "overwrite:header.X-Upstream-Jwt" = "$context.authorizer.Authorization" })
      && aws_apigatewayv2_integration.this.connection_type == "VPC_LINK"
      && aws_apigatewayv2_integration.this.integration_method == "ANY"
    )
    error_message = "The JWT header is configurable; a VPC link sets the connection type; $default proxies any method."
  }
}

run "authorization_is_refused_as_jwt_header" {
  command = plan

  variables {
    jwt_header = "Authorization"
  }

  expect_failures = [var.jwt_header]
}

run "reserved_prefix_is_refused_as_jwt_header" {
  command = plan

  variables {
    jwt_header = "X-Amzn-Jwt"
  }

  expect_failures = [var.jwt_header]
}

run "rest_parameter_syntax_is_refused" {
  command = plan

  variables {
    integration = {
      uri                = "https://backend.example.com/orders"
      request_parameters = { "integration.request.header.X-Tenant" = "method.request.header.X-Tenant" }
    }
  }

  expect_failures = [var.integration]
}

run "jwt_header_cannot_be_overridden" {
  command = plan

  variables {
    integration = {
      uri                = "https://backend.example.com/orders"
      request_parameters = { "remove:header.x-phantom-token" = "''" }
    }
  }

  expect_failures = [aws_apigatewayv2_integration.this]
}

run "options_is_rejected" {
  command = plan

  variables {
    route_key = "OPTIONS /orders"
  }

  expect_failures = [var.route_key]
}
