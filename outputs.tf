output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms by name (error_rate, throttles, duration, identity_server); empty unless alarms.enabled."
  value = merge(
    { for alarm in aws_cloudwatch_metric_alarm.error_rate : "error_rate" => alarm.arn },
    { for alarm in aws_cloudwatch_metric_alarm.throttles : "throttles" => alarm.arn },
    { for alarm in aws_cloudwatch_metric_alarm.duration : "duration" => alarm.arn },
    { for alarm in aws_cloudwatch_metric_alarm.identity_server : "identity_server" => alarm.arn },
  )
}

output "authorizer_context_key" {
  description = "The authorizer context key that holds \"Bearer <jwt>\": map `context.authorizer.<key>` in integrations you write yourself."
  value       = local.context_key

  # Checks across inputs live here: a variable's validation may not refer to another variable
  # before Terraform 1.9. This output depends on no resource, so its checks run even when a
  # resource's own precondition fails too.
  precondition {
    condition     = !(try(var.authorizer.type, null) == "TOKEN" && length(local.route_scopes) > 0)
    error_message = "authorizer.type = \"TOKEN\" cannot enforce per-route scopes (${join(", ", keys(local.route_scopes))}): API Gateway would cache one decision per token for every route. Leave authorizer.type unset, or set \"REQUEST\"."
  }

  precondition {
    condition     = (var.rest_api == null) != (var.http_api == null)
    error_message = "Set exactly one of rest_api (an aws_api_gateway_rest_api) and http_api (an aws_apigatewayv2_api): ${var.rest_api == null ? "neither is set" : "both are set"}. Use one module instance per API."
  }

  precondition {
    condition     = var.rest_api == null || alltrue([for key, route in var.routes : try(route.resource.id != null && route.resource.path != null, false)])
    error_message = "Every route of a REST API needs resource: the aws_api_gateway_resource of its path (or { id, path }), whose path must be the key's. Missing or without id and path: ${join(", ", [for key, route in var.routes : "routes[${jsonencode(key)}].resource" if !try(route.resource.id != null && route.resource.path != null, false)])}."
  }

  precondition {
    condition     = var.http_api == null || length(local.http_api_route_misfits) == 0
    error_message = "With http_api, routes take scopes and integration (uri, http_method, request_parameters, timeout_milliseconds, connection_id) only. Not for an HTTP API: ${join("; ", local.http_api_route_misfits)}."
  }

  precondition {
    condition     = var.http_api == null || length(local.http_api_authorizer_misfits) == 0
    error_message = "With http_api, authorizer takes result_ttl_seconds, context_claims and policy_resource only. Not for an HTTP API: ${join("; ", local.http_api_authorizer_misfits)}."
  }

  precondition {
    condition     = var.rest_api == null || !contains(concat(keys(var.routes), keys(local._scope_routes)), "$default")
    error_message = "$default is the catch-all route of HTTP APIs; a REST API has no route of that name, so its scopes would never be enforced. Remove ${join(" and ", concat(contains(keys(var.routes), "$default") ? ["routes[\"$default\"]"] : [], contains(keys(local._scope_routes), "$default") ? ["scopes.routes[\"$default\"]"] : []))}."
  }

  precondition {
    condition     = length(local.route_path_part_mismatches) == 0
    error_message = "A route key must name its resource's path: ${join("; ", local.route_path_part_mismatches)}."
  }

  precondition {
    condition     = !(local.unlisted_routes == "deny" && length(local.route_scopes) == 0)
    error_message = "scopes.unlisted_routes = \"deny\" with no route in routes or scopes.routes would deny every request: list the routes (scopes.routes, [] for a route with no scope of its own), or leave unlisted_routes unset."
  }

  precondition {
    condition     = !local.http_api_catch_all_conflicts
    error_message = "routes[\"$default\"] forwards the catch-all with its own scopes, so http_api.default_route = ${jsonencode(local._http_api_default_route)} contradicts it: remove http_api.default_route (or the route)."
  }

  precondition {
    condition     = local.http_api_catch_all != "deny" || !contains(keys(local._scope_routes), "$default")
    error_message = "scopes.routes[\"$default\"] would never be enforced: http_api.default_route is \"deny\" (the default), so the module's $default route denies every request. To let the catch-all through with scopes, set http_api.default_route = \"none\" and give your own $default route the authorizer, or add routes[\"$default\"]."
  }
}

output "authorizer_id" {
  description = "ID of the API Gateway authorizer, for `aws_api_gateway_method.authorizer_id` with `authorization = \"CUSTOM\"` (REST API), or `aws_apigatewayv2_route.authorizer_id` with `authorization_type = \"CUSTOM\"` (HTTP API)."
  value = (
    var.http_api == null
    ? one(module.authorizer[*].authorizer_id)
    : one(module.http_api_authorizer[*].authorizer_id)
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard; null unless alarms.dashboard_enabled."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "deployment_trigger" {
  description = "REST API only (null with `http_api`): a hash of the authorizer, the protected methods and the gateway responses: put it in `aws_api_gateway_deployment.triggers` (with `create_before_destroy`) so the stage redeploys when they change. An HTTP API stage with `auto_deploy = true` deploys changes itself; otherwise redeploy it."
  value = var.rest_api == null ? null : sha1(jsonencode([
    one(module.authorizer[*].deployment_trigger),
    { for key, route in module.routes : key => route.deployment_trigger },
    [for responses in module.gateway_responses : responses.deployment_trigger],
  ]))
}

output "http_api_jwt_header" {
  description = "HTTP API only (null otherwise): the request header in which integrations forward \"Bearer <jwt>\" upstream. The upstream reads the JWT there and ignores `Authorization`, which still carries the client's opaque token."
  value       = local.http_api_jwt_header
}

output "http_api_request_parameters" {
  description = "HTTP API only (null otherwise): the integration `request_parameters` that forward the JWT upstream in `http_api_jwt_header`; merge them into `aws_apigatewayv2_integration`s you write yourself."
  value       = local.http_api_request_parameters
}

output "integration_request_parameters" {
  description = "REST API: the integration `request_parameters` that forward the JWT upstream in `Authorization`; merge them into `aws_api_gateway_integration`s you write yourself (see `http_api_request_parameters` for an HTTP API)."
  value       = { "integration.request.header.Authorization" = "context.authorizer.${local.context_key}" }
}

output "lambda_function_arn" {
  description = "ARN of the authorizer Lambda function."
  value       = module.function.lambda_function_arn
}

output "lambda_function_invoke_arn" {
  description = "Invoke ARN of the authorizer Lambda function (for authorizers you create yourself, e.g. on another API)."
  value       = module.function.lambda_function_invoke_arn
}

output "lambda_function_name" {
  description = "Name of the authorizer Lambda function."
  value       = module.function.lambda_function_name
}

output "lambda_role_arn" {
  description = "ARN of the authorizer function's IAM role."
  value       = module.function.lambda_role_arn
}

output "lambda_role_name" {
  description = "Name of the authorizer function's IAM role (to attach more policies, e.g. for a customer managed key)."
  value       = module.function.lambda_role_name
}

output "log_group_arn" {
  description = "ARN of the authorizer function's CloudWatch log group (for metric filters and subscriptions)."
  value       = module.function.log_group_arn
}

output "log_group_name" {
  description = "Name of the authorizer function's CloudWatch log group."
  value       = module.function.log_group_name
}

output "protected_route_keys" {
  description = "The route keys this module put behind the authorizer (\"METHOD /path\", and `$default` on an HTTP API unless `http_api.default_route = \"none\"`), sorted. Compare them with your API's routes in a PR check: every route of the API must carry an authorizer, or a path spelling that falls through to it bypasses this one."
  value = sort(concat(
    var.rest_api == null ? [] : keys(local.routes),
    keys(local.http_api_routes),
    local.http_api_catch_all == "deny" ? ["$default"] : [],
  ))
}
