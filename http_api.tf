################################################################################
# HTTP APIs (API Gateway v2): the same function behind an HTTP API Lambda authorizer
# (payload format 2.0, simple responses) and routes whose integrations forward the JWT in
# http_api.jwt_header. https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
################################################################################

locals {
  # A request without the Authorization header is answered 401 without invoking the function,
  # and the token keys API Gateway's cache of decisions. A cached simple response holds for
  # every route with the same identity-source values, so per-route scopes need the route in
  # the key too: the Lambda compares the event's routeKey with the ROUTE_SCOPES keys exactly.
  # The method joins it because an ANY route's decision depends on the request's method.
  http_api_identity_sources = concat(
    ["$request.header.Authorization"],
    length(local.route_scopes) > 0 ? ["$context.httpMethod", "$context.routeKey"] : [],
  )

  # "overwrite" replaces any value a client sent in that header itself.
  http_api_request_parameters = (
    var.http_api == null
    ? null
    : { "overwrite:header.${var.http_api.jwt_header}" = "$context.authorizer.${local.context_key}" }
  )

  # What each route sets that an HTTP API has no use for; a precondition (outputs.tf) names them.
  _http_api_route_misfits = {
    for key, route in var.routes : key => concat(
      contains(try(keys(route), []), "resource") ? ["routes[${jsonencode(key)}].resource (HTTP API routes have no resource)"] : [],
      contains(try(keys(route), []), "request_parameters") ? ["routes[${jsonencode(key)}].request_parameters (method request parameters are REST API only)"] : [],
      try(route.integration.type, "HTTP_PROXY") != "HTTP_PROXY" ? ["routes[${jsonencode(key)}].integration.type = ${jsonencode(route.integration.type)} (HTTP API integrations here are HTTP_PROXY)"] : [],
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

  api_id     = var.http_api.id
  route_key  = each.key
  jwt_header = var.http_api.jwt_header
  integration = {
    connection_id        = try(each.value.integration.connection_id, null)
    http_method          = try(each.value.integration.http_method, null)
    request_parameters   = try(each.value.integration.request_parameters, null)
    timeout_milliseconds = try(each.value.integration.timeout_milliseconds, null)
    uri                  = each.value.integration.uri
  }
  authorizer = {
    context_key = local.context_key
    id          = module.http_api_authorizer[0].authorizer_id
  }
}
