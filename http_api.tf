################################################################################
# HTTP APIs (API Gateway v2): the same function behind an HTTP API Lambda authorizer
# (payload format 2.0, simple responses) and routes whose integrations forward the JWT in
# http_api.jwt_header. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
################################################################################

locals {
  # var.http_api is taken loosely (variables.tf rejects unknown attributes by name); these are
  # its settings with their defaults.
  http_api_jwt_header = var.http_api == null ? null : coalesce(lookup(var.http_api, "jwt_header", null), "X-Phantom-Token")

  # The catch-all. An HTTP API routes a request no route matches to $default: a trailing slash
  # (GET /orders/ for a GET /orders route), another case, any unlisted path. Unprotected, that
  # is a way around the authorizer. "deny": the module creates $default behind the authorizer,
  # which denies it (DEFAULT_ROUTE=deny); "route": routes["$default"] forwards it with its own
  # scopes; "none": the caller manages $default.
  _http_api_default_route = try(coalesce(lookup(var.http_api, "default_route", null), "-"), "-")
  http_api_catch_all = (
    var.http_api == null ? null
    : contains(keys(var.routes), "$default") ? "route"
    : local._http_api_default_route == "none" ? "none"
    : "deny"
  )
  # routes["$default"] next to an explicit default_route: two answers to one question.
  http_api_catch_all_conflicts = var.http_api != null && contains(keys(var.routes), "$default") && local._http_api_default_route != "-"

  # A request without the Authorization header is answered 401 without invoking the function,
  # and the token keys API Gateway's cache of decisions. A cached simple response holds for
  # every route with the same identity-source values, so per-route decisions (route scopes, a
  # denied $default) need the route in the key too: the Lambda compares the event's routeKey
  # with the ROUTE_SCOPES keys exactly. The method joins it because an ANY route's decision
  # depends on the request's method.
  http_api_identity_sources = concat(
    ["$request.header.Authorization"],
    length(local.route_scopes) > 0 || local.http_api_catch_all == "deny" ? ["$context.httpMethod", "$context.routeKey"] : [],
  )

  # "overwrite" replaces any value a client sent in that header itself.
  http_api_request_parameters = (
    var.http_api == null
    ? null
    : { "overwrite:header.${local.http_api_jwt_header}" = "$context.authorizer.${local.context_key}" }
  )

  # What each route sets that an HTTP API has no use for; a precondition (outputs.tf) names them.
  _http_api_route_misfits = {
    for key, route in var.routes : key => concat(
      contains(try(keys(route), []), "resource") ? ["routes[${jsonencode(key)}].resource (HTTP API routes have no resource)"] : [],
      contains(try(keys(route), []), "request_parameters") ? ["routes[${jsonencode(key)}].request_parameters (method request parameters are REST API only)"] : [],
      !contains(["HTTP_PROXY", "AWS_PROXY"], try(route.integration.type, "HTTP_PROXY")) ? ["routes[${jsonencode(key)}].integration.type = ${jsonencode(route.integration.type)} (HTTP API integrations here are HTTP_PROXY, or AWS_PROXY for a Lambda function)"] : [],
      [
        for name in try(keys(route.integration.request_parameters), []) :
        "routes[${jsonencode(key)}].integration.request_parameters[${jsonencode(name)}] (REST syntax; HTTP APIs take append|overwrite|remove:header.<name>, ...:querystring.<name>, overwrite:path)"
        if !can(regex("^((append|overwrite|remove):(header|querystring)\\.|overwrite:path$)", name))
      ],
    )
  }
  http_api_route_misfits = flatten(values(local._http_api_route_misfits))
  # Only routes that fit are passed on, so a misfit fails once, by the precondition's message.
  http_api_routes = var.http_api == null ? {} : {
    for key, route in var.routes : key => route if length(local._http_api_route_misfits[key]) == 0
  }

  # Authorizer settings that only a REST API authorizer has.
  http_api_authorizer_misfits = concat(
    try(var.authorizer.identity_sources, null) != null ? ["authorizer.identity_sources (the HTTP API cache key is computed: $request.header.Authorization, plus $context.httpMethod and $context.routeKey when routes have scopes)"] : [],
    try(var.authorizer.type, null) == "TOKEN" ? ["authorizer.type = \"TOKEN\" (HTTP API Lambda authorizers are REQUEST authorizers)"] : [],
  )
}

module "http_api_authorizer" {
  source = "./modules/http-api-authorizer"
  count  = var.http_api == null ? 0 : 1

  name = var.name
  http_api = {
    execution_arn = var.http_api.execution_arn
    id            = var.http_api.id
  }
  function = {
    invoke_arn = module.function.lambda_function_invoke_arn
    name       = module.function.lambda_function_name
  }
  authorizer = {
    identity_sources   = local.http_api_identity_sources
    result_ttl_seconds = try(var.authorizer.result_ttl_seconds, null)
  }
}

module "http_api_routes" {
  source   = "./modules/http-api-route"
  for_each = local.http_api_routes

  api_id        = var.http_api.id
  execution_arn = var.http_api.execution_arn
  route_key     = each.key
  jwt_header    = local.http_api_jwt_header
  integration = {
    connection_id        = try(each.value.integration.connection_id, null)
    http_method          = try(each.value.integration.http_method, null)
    request_parameters   = try(each.value.integration.request_parameters, null)
    timeout_milliseconds = try(each.value.integration.timeout_milliseconds, null)
    type                 = try(each.value.integration.type, null)
    uri                  = each.value.integration.uri
  }
  authorizer = {
    context_key = local.context_key
    id          = module.http_api_authorizer[0].authorizer_id
  }
}

# The catch-all, denied: every request no route matches reaches the authorizer (401 without a
# token) and is denied there (403), so no unlisted path or spelling reaches a backend. It has no
# integration: nothing is ever forwarded from it.
resource "aws_apigatewayv2_route" "default" {
  count = local.http_api_catch_all == "deny" ? 1 : 0

  api_id             = var.http_api.id
  route_key          = "$default"
  authorization_type = "CUSTOM"
  authorizer_id      = module.http_api_authorizer[0].authorizer_id
}
