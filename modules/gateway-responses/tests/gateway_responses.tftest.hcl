# Native tests with a mocked AWS provider: `terraform init && terraform test` in this module.
mock_provider "aws" {}

variables {
  rest_api_id = "a1b2c3d4e5"
}

run "answers_tell_clients_what_happened" {
  command = plan

  assert {
    condition     = toset(keys(aws_api_gateway_gateway_response.this)) == toset(["UNAUTHORIZED", "ACCESS_DENIED", "AUTHORIZER_FAILURE"])
    error_message = "The module manages the 401, 403 and authorizer failure responses, nothing else."
  }

  assert {
    condition = { for type, response in aws_api_gateway_gateway_response.this : type => response.status_code } == {
      UNAUTHORIZED       = "401"
      ACCESS_DENIED      = "403"
      AUTHORIZER_FAILURE = "500"
    }
    error_message = "401 for a missing or inactive token, 403 for a missing scope, 500 when the authorizer fails."
  }

  assert {
    condition = aws_api_gateway_gateway_response.this["UNAUTHORIZED"].response_parameters == tomap({
      "gatewayresponse.header.WWW-Authenticate" = "'Bearer'"
    })
    error_message = "A 401 carries WWW-Authenticate: Bearer (RFC 6750 3) and no CORS header by default."
  }

  assert {
    condition = aws_api_gateway_gateway_response.this["ACCESS_DENIED"].response_parameters == tomap({
      "gatewayresponse.header.WWW-Authenticate" = "'Bearer error=\"insufficient_scope\"'"
    })
    error_message = "A 403 carries WWW-Authenticate: Bearer error=\"insufficient_scope\" (RFC 6750 3.1)."
  }

  assert {
    condition     = try(length(aws_api_gateway_gateway_response.this["AUTHORIZER_FAILURE"].response_parameters), 0) == 0
    error_message = "The 500 names no authentication scheme."
  }

  assert {
    condition = alltrue([
      for response in aws_api_gateway_gateway_response.this :
      response.rest_api_id == "a1b2c3d4e5" && response.response_templates == tomap({ "application/json" = "{\"message\":$context.error.messageString}" })
    ])
    error_message = "Every response belongs to the given API and answers JSON."
  }
}

run "without_cors" {
  assert {
    condition     = length(output.deployment_trigger) == 40
    error_message = "deployment_trigger is a SHA-1 hex digest."
  }
}

run "cors_headers_for_a_browser_application" {
  variables {
    cors_allowed_origin = "https://app.example.com:8443"
  }

  assert {
    condition = alltrue([
      for response in aws_api_gateway_gateway_response.this :
      response.response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com:8443'"
      && response.response_parameters["gatewayresponse.header.Access-Control-Expose-Headers"] == "'WWW-Authenticate'"
    ])
    error_message = "Every response names the allowed origin and exposes WWW-Authenticate."
  }

  assert {
    condition     = aws_api_gateway_gateway_response.this["UNAUTHORIZED"].response_parameters["gatewayresponse.header.WWW-Authenticate"] == "'Bearer'"
    error_message = "CORS headers are added to, never replace, the WWW-Authenticate header."
  }

  assert {
    condition     = output.deployment_trigger != run.without_cors.deployment_trigger
    error_message = "Adding CORS headers must redeploy the stage."
  }
}

run "any_origin" {
  command = plan

  variables {
    cors_allowed_origin = "*"
  }

  assert {
    condition     = aws_api_gateway_gateway_response.this["ACCESS_DENIED"].response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"
    error_message = "\"*\" is a valid allowed origin."
  }
}

run "origin_with_a_path_is_rejected" {
  command = plan

  variables {
    cors_allowed_origin = "https://app.example.com/login"
  }

  expect_failures = [var.cors_allowed_origin]
}

run "origin_without_a_scheme_is_rejected" {
  command = plan

  variables {
    cors_allowed_origin = "app.example.com"
  }

  expect_failures = [var.cors_allowed_origin]
}

run "empty_rest_api_id_is_rejected" {
  command = plan

  variables {
    rest_api_id = ""
  }

  expect_failures = [var.rest_api_id]
}
