# Native tests of the root module with a mocked AWS provider: `terraform init && terraform test`
# at the repository root needs neither Python nor an AWS account, so a consumer's pipeline can
# run them. They cover the decisions the root module makes: which authorizer and cache key,
# which scopes reach the Lambda, the gateway responses, and the inputs it refuses.
mock_provider "aws" {
  mock_resource "aws_api_gateway_authorizer" {
    defaults = {
      id = "authz01"
    }
  }
}

variables {
  name = "orders"
  rest_api = {
    id            = "a1b2c3d4e5"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
  }
  introspection = {
    endpoint          = "https://login.example.com/oauth/v2/oauth-introspect"
    client_id         = "gateway"
    client_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-AbCdEf"
  }
}

run "without_route_scopes_one_decision_per_token" {
  command = plan

  assert {
    condition     = local.authorizer_type == "TOKEN" && jsonencode(local.identity_sources) == jsonencode(["method.request.header.Authorization"])
    error_message = "Without route scopes the authorizer is a TOKEN authorizer keyed by the token."
  }

  assert {
    condition     = length(local.route_scopes) == 0
    error_message = "No route scopes, nothing to enforce per route."
  }

  assert {
    condition     = length(module.gateway_responses) == 1
    error_message = "Gateway responses are on by default."
  }
}

run "route_scopes_pin_the_route_in_the_cache_key" {
  command = plan

  variables {
    scopes = {
      required = ["openid"]
      routes   = { "DELETE /orders/{id}" = ["orders:admin"] }
    }
    routes = {
      "GET /orders" = {
        resource    = { id = "res0rders", path = "/orders" }
        scopes      = ["orders:read"]
        integration = { uri = "https://backend.example.com/orders" }
      }
      "GET /profile" = {
        resource    = { id = "resprof1le", path = "/profile" }
        scopes      = []
        integration = { uri = "https://backend.example.com/profile" }
      }
    }
  }

  assert {
    condition     = local.authorizer_type == "REQUEST"
    error_message = "Route scopes need a REQUEST authorizer."
  }

  assert {
    condition     = jsonencode(local.identity_sources) == jsonencode(["method.request.header.Authorization", "context.httpMethod", "context.resourceId"])
    error_message = "The cache key is the token, the method and the resource."
  }

  assert {
    condition = jsonencode(local.route_scopes) == jsonencode({
      "DELETE /orders/{id}" = ["orders:admin"]
      "GET /orders"         = ["orders:read"]
      "GET /profile"        = []
    })
    error_message = "Scopes of routes managed here and elsewhere reach the Lambda; a route with [] is listed with none."
  }

  assert {
    condition     = local.unlisted_routes == "deny"
    error_message = "With a route table, a route it does not name is denied by default."
  }

  assert {
    condition     = module.routes["GET /orders"].request_parameters["integration.request.header.Authorization"] == "context.authorizer.Authorization"
    error_message = "Each route forwards the JWT upstream."
  }
}

run "gateway_responses_can_be_left_to_the_caller" {
  command = plan

  variables {
    gateway_responses = { enabled = false }
  }

  assert {
    condition     = length(module.gateway_responses) == 0
    error_message = "gateway_responses.enabled = false creates none."
  }
}

run "a_misspelt_scopes_attribute_is_refused" {
  command = plan

  variables {
    scopes = { require = ["api"] }
  }

  expect_failures = [var.scopes]
}

run "required_scopes_that_are_not_a_list_are_refused" {
  command = plan

  variables {
    scopes = { required = { admins = "admin" } }
  }

  expect_failures = [var.scopes]
}

run "a_route_without_scopes_is_refused" {
  command = plan

  variables {
    routes = {
      "GET /admin" = {
        resource    = { id = "resadm1n", path = "/admin" }
        scope       = ["admin"]
        integration = { uri = "https://backend.example.com/admin" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "an_unroutable_route_key_is_refused" {
  command = plan

  variables {
    scopes = { routes = { "GET /orders/" = ["orders:read"] } }
  }

  expect_failures = [var.scopes]
}

run "a_cache_key_without_the_token_is_refused" {
  command = plan

  variables {
    authorizer = { type = "REQUEST", identity_sources = ["context.domainName"] }
  }

  expect_failures = [var.authorizer]
}


run "http_api_catch_all_is_denied_by_default" {
  command = plan

  variables {
    rest_api = null
    http_api = {
      id            = "h1t2p3a4p5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5"
    }
    routes = {
      "GET /profile" = {
        scopes      = []
        integration = { uri = "https://backend.example.com/profile" }
      }
    }
  }

  assert {
    condition     = length(aws_apigatewayv2_route.default) == 1 && aws_apigatewayv2_route.default[0].route_key == "$default" && aws_apigatewayv2_route.default[0].authorization_type == "CUSTOM" && aws_apigatewayv2_route.default[0].target == null
    error_message = "The module puts $default behind the authorizer, with no integration."
  }

  assert {
    condition     = local.http_api_catch_all == "deny"
    error_message = "The function is told to deny the catch-all (DEFAULT_ROUTE=deny)."
  }

  assert {
    condition     = jsonencode(local.http_api_identity_sources) == jsonencode(["$request.header.Authorization", "$context.httpMethod", "$context.routeKey"])
    error_message = "A denied $default needs the route key in the cache key, or its Deny would answer every route."
  }

  assert {
    condition     = jsonencode(output.protected_route_keys) == jsonencode(["$default", "GET /profile"])
    error_message = "The output lists every route the module protects, $default included."
  }
}

run "http_api_without_route_scopes_one_decision_per_token" {
  command = plan

  variables {
    rest_api = null
    http_api = {
      id            = "h1t2p3a4p5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5"
      default_route = "none"
    }
    scopes = { unlisted_routes = "required" }
    routes = {
      "GET /profile" = {
        scopes      = []
        integration = { uri = "https://backend.example.com/profile" }
      }
    }
  }

  assert {
    condition     = jsonencode(local.http_api_identity_sources) == jsonencode(["$request.header.Authorization"])
    error_message = "Without route scopes or a denied catch-all the HTTP API authorizer is keyed by the token alone."
  }

  assert {
    condition     = length(aws_apigatewayv2_route.default) == 0 && local.http_api_catch_all == "none"
    error_message = "default_route = \"none\" leaves $default to the caller."
  }

  assert {
    condition     = length(module.authorizer) == 0 && length(module.gateway_responses) == 0 && length(module.routes) == 0
    error_message = "An HTTP API gets no REST API authorizer, method or gateway response."
  }

  assert {
    condition     = module.http_api_routes["GET /profile"].request_parameters["overwrite:header.X-Phantom-Token"] == "$context.authorizer.Authorization"
    error_message = "The route's integration forwards the JWT in X-Phantom-Token."
  }

  assert {
    condition     = output.http_api_jwt_header == "X-Phantom-Token" && output.deployment_trigger == null
    error_message = "The JWT header is exported; no REST deployment trigger for an HTTP API."
  }
}

run "http_api_route_scopes_pin_the_route_in_the_cache_key" {
  command = plan

  variables {
    rest_api = null
    http_api = {
      id            = "h1t2p3a4p5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5"
      jwt_header    = "X-Upstream-Jwt"
    }
    routes = {
      "GET /orders" = {
        scopes      = ["orders:read"]
        integration = { uri = "https://backend.example.com/orders" }
      }
    }
  }

  assert {
    condition     = jsonencode(local.http_api_identity_sources) == jsonencode(["$request.header.Authorization", "$context.httpMethod", "$context.routeKey"])
    error_message = "A route with scopes adds the method and the route key to the cache key."
  }

  assert {
    condition     = jsonencode(output.http_api_request_parameters) == jsonencode({ "overwrite:header.X-Upstream-Jwt" = "$context.authorizer.Authorization" })
    error_message = "Hand-wired integrations get the mapping to the chosen header."
  }
}

run "http_api_jwt_header_authorization_is_refused" {
  command = plan

  variables {
    rest_api = null
    http_api = {
      id            = "h1t2p3a4p5"
      execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:h1t2p3a4p5"
      jwt_header    = "Authorization"
    }
  }

  expect_failures = [var.http_api]
}

run "no_alarms_and_no_dashboard_by_default" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.error_rate) + length(aws_cloudwatch_metric_alarm.throttles) + length(aws_cloudwatch_metric_alarm.duration) + length(aws_cloudwatch_metric_alarm.identity_server) + length(aws_cloudwatch_dashboard.this) == 0
    error_message = "Alarms and the dashboard are opt-in."
  }

  assert {
    condition     = local.alarms.metrics_namespace == "PhantomToken"
    error_message = "The function's metrics go to the PhantomToken namespace by default."
  }
}

run "alarms_page_the_given_topics_on_the_lambda_metrics" {
  command = plan

  variables {
    alarms = {
      enabled           = true
      dashboard_enabled = true
      metrics_namespace = "Platform/Auth"
      alarm_actions     = ["arn:aws:sns:eu-west-1:123456789012:paging"]
    }
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.error_rate) == 1 && length(aws_cloudwatch_metric_alarm.throttles) == 1 && length(aws_cloudwatch_metric_alarm.duration) == 1 && length(aws_cloudwatch_metric_alarm.identity_server) == 1 && length(aws_cloudwatch_dashboard.this) == 1
    error_message = "Four alarms and one dashboard when enabled."
  }

  assert {
    condition     = toset([for query in aws_cloudwatch_metric_alarm.error_rate[0].metric_query : one(query.metric).namespace if length(query.metric) > 0]) == toset(["Platform/Auth"])
    error_message = "The error-rate alarm reads the namespace the function writes to."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.duration[0].threshold == 8000
    error_message = "The duration alarm fires at 80% of the default 10 s timeout."
  }

  assert {
    condition     = toset(aws_cloudwatch_metric_alarm.throttles[0].alarm_actions) == toset(["arn:aws:sns:eu-west-1:123456789012:paging"])
    error_message = "Alarms notify the given topics."
  }
}

run "a_misspelt_alarms_attribute_is_refused" {
  command = plan

  variables {
    alarms = { enabled = true, alarm_action = ["arn:aws:sns:eu-west-1:123456789012:paging"] }
  }

  expect_failures = [var.alarms]
}
