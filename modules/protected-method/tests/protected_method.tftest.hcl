# Native tests with a mocked AWS provider: `terraform init && terraform test` in this module.
mock_provider "aws" {}

variables {
  rest_api_id = "a1b2c3d4e5"
  resource_id = "r3s0urce"
  http_method = "GET"
  authorizer = {
    id          = "authz01"
    context_key = "Authorization"
  }
  integration = {
    uri = "https://backend.example.com/orders"
    request_parameters = {
      "integration.request.header.X-Request-Id" = "context.requestId"
    }
  }
}

run "method_is_custom_and_forwards_the_jwt" {
  command = plan

  assert {
    condition     = aws_api_gateway_method.this.authorization == "CUSTOM" && aws_api_gateway_method.this.authorizer_id == "authz01"
    error_message = "The method must use the custom authorizer."
  }

  assert {
    condition = aws_api_gateway_integration.this.request_parameters == tomap({
      "integration.request.header.Authorization" = "context.authorizer.Authorization"
      "integration.request.header.X-Request-Id"  = "context.requestId"
    })
    error_message = "The integration forwards the JWT and keeps the caller's mappings."
  }

  assert {
    condition     = length(aws_api_gateway_method_response.this) == 0
    error_message = "HTTP_PROXY passes responses through: no response mapping."
  }
}

run "http_integration_passes_200_through" {
  command = plan

  variables {
    integration = {
      type = "HTTP"
      uri  = "https://backend.example.com/orders"
    }
  }

  assert {
    condition     = keys(aws_api_gateway_integration_response.this) == ["200"]
    error_message = "An HTTP integration gets a 200 passthrough."
  }
}

run "options_is_rejected" {
  command = plan

  variables {
    http_method = "OPTIONS"
  }

  expect_failures = [var.http_method]
}

run "jwt_header_cannot_be_overridden" {
  command = plan

  variables {
    integration = {
      uri                = "https://backend.example.com/orders"
      request_parameters = { "integration.request.header.Authorization" = "'static'" }
    }
  }

  expect_failures = [var.integration]
}
