locals {
  context_key = module.function.authorizer_context_key

  # Scopes per route: those given for methods managed elsewhere plus those of `routes`.
  _route_scopes = { for key, route in var.routes : key => route.scopes if length(route.scopes) > 0 }
  route_scopes = {
    for key in setunion(keys(var.scopes.routes), keys(local._route_scopes)) :
    key => distinct(concat(lookup(var.scopes.routes, key, []), lookup(local._route_scopes, key, [])))
  }

  # "GET /orders/{id}" -> method GET, path parameters ["id"] (a greedy "{proxy+}" gives "proxy").
  _route_path_parameters = {
    for key in keys(var.routes) : key => [
      for segment in split("/", split(" ", key)[1]) :
      trimsuffix(trimprefix(trimsuffix(segment, "}"), "{"), "+") if startswith(segment, "{")
    ]
  }
  routes = {
    for key, route in var.routes : key => {
      http_method = split(" ", key)[0]
      resource_id = route.resource_id
      integration = merge(route.integration, {
        request_parameters = merge(
          { for name in local._route_path_parameters[key] : "integration.request.path.${name}" => "method.request.path.${name}" },
          route.integration.request_parameters,
        )
      })
      request_parameters = merge(
        { for name in local._route_path_parameters[key] : "method.request.path.${name}" => true },
        route.request_parameters,
      )
    }
  }
}

module "function" {
  source = "./modules/authorizer-function"

  name          = var.name
  function      = var.function
  introspection = var.introspection
  authorization = {
    context_claims  = var.authorizer.context_claims
    policy_resource = var.authorizer.policy_resource
    required_scopes = var.scopes.required
    route_scopes    = local.route_scopes
  }

  tags = var.tags
}

module "authorizer" {
  source = "./modules/rest-api-authorizer"

  name     = var.name
  rest_api = var.rest_api
  function = {
    invoke_arn = module.function.lambda_function_invoke_arn
    name       = module.function.lambda_function_name
  }
  authorizer = {
    identity_sources   = var.authorizer.identity_sources
    result_ttl_seconds = var.authorizer.result_ttl_seconds
    type               = var.authorizer.type
  }
}

module "routes" {
  source   = "./modules/protected-method"
  for_each = local.routes

  rest_api_id        = var.rest_api.id
  resource_id        = each.value.resource_id
  http_method        = each.value.http_method
  integration        = each.value.integration
  request_parameters = each.value.request_parameters
  authorizer = {
    context_key = local.context_key
    id          = module.authorizer.authorizer_id
  }
}
