locals {
  context_key = module.function.authorizer_context_key

  # Scopes every request needs, and scopes per route: those given for methods managed elsewhere
  # plus those of `routes`. variables.tf admits lists of strings only; tolist() and the
  # submodule's list(string) turn anything else into an error, never into no scopes (a `for`
  # would read a map by its values, and a try() would hide the error).
  required_scopes = lookup(var.scopes, "required", null)
  _scope_routes   = { for key, scopes in coalesce(lookup(var.scopes, "routes", null), {}) : key => tolist(scopes) }
  _route_scopes   = { for key, route in var.routes : key => tolist(route.scopes) }
  # A route the table does not name: denied by default whenever there is a table, so that a
  # misspelt key (GET /order for GET /orders) fails closed instead of needing scopes.required
  # only. Then every route of the table is listed for the function, with no scope of its own too.
  unlisted_routes = coalesce(lookup(var.scopes, "unlisted_routes", null), length(keys(local._scope_routes)) + length(keys(var.routes)) > 0 ? "deny" : "required")
  route_scopes = {
    for key in setunion(keys(local._scope_routes), keys(local._route_scopes)) :
    key => distinct(concat(try(local._scope_routes[key], []), try(local._route_scopes[key], [])))
    if local.unlisted_routes == "deny" || length(concat(try(local._scope_routes[key], []), try(local._route_scopes[key], []))) > 0
  }

  # A decision that depends on the route must have the route in API Gateway's cache key: a
  # REQUEST authorizer keyed by token, method and resource. The Lambda compares the event's
  # "METHOD /template" with the route keys exactly, so no spelling of a path (a trailing
  # slash, say) reaches another decision.
  _user_identity_sources = try(var.authorizer.identity_sources, null)
  authorizer_type = coalesce(
    try(var.authorizer.type, null),
    length(local.route_scopes) > 0 || local._user_identity_sources != null ? "REQUEST" : "TOKEN",
  )
  identity_sources = (
    local.authorizer_type == "TOKEN"
    ? ["method.request.header.Authorization"]
    : distinct(concat(
      coalesce(local._user_identity_sources, ["method.request.header.Authorization"]),
      module.function.route_identity_sources,
    ))
  )

  # A route key whose last segment is not its resource's path_part names another path. A new
  # resource's path is known only after apply (the method's precondition checks it then), but
  # its path_part is configuration: a misspelt key ("GET /order" on path_part "orders") fails
  # at plan.
  route_path_part_mismatches = [
    for key, route in var.routes :
    "routes[${jsonencode(key)}] ends in ${jsonencode(reverse(split("/", local._route_paths[key]))[0])}, its resource's path_part is ${jsonencode(route.resource.path_part)}"
    if var.rest_api != null && try(route.resource.path_part != null && route.resource.path_part != reverse(split("/", local._route_paths[key]))[0], false)
  ]

  # "GET /orders/{id}" -> method GET, path /orders/{id}, path parameters ["id"] ("{proxy+}" gives "proxy").
  _route_paths = { for key in keys(var.routes) : key => key == "$default" ? "" : split(" ", key)[1] }
  _route_path_parameters = {
    for key, path in local._route_paths : key => [
      for segment in split("/", path) :
      trimsuffix(trimprefix(trimsuffix(segment, "}"), "{"), "+") if startswith(segment, "{")
    ]
  }
  # REST API methods only: an HTTP API route needs no resource (http_api.tf). A route without
  # resource is left out here and refused by a precondition (outputs.tf).
  routes = {
    for key, route in var.routes : key => {
      http_method   = split(" ", key)[0]
      resource_id   = try(route.resource.id, null)
      resource_path = try(route.resource.path, null)
      # A Lambda proxy integration maps nothing: the function gets the path parameters (and
      # the JWT) in its event.
      integration = merge(route.integration, {
        request_parameters = merge(
          { for name in local._route_path_parameters[key] : "integration.request.path.${name}" => "method.request.path.${name}" if try(route.integration.type, null) != "AWS_PROXY" },
          try(route.integration.request_parameters, {}),
        )
      })
      request_parameters = merge(
        { for name in local._route_path_parameters[key] : "method.request.path.${name}" => true },
        try(route.request_parameters, {}),
      )
    }
    # keys(), not the id: the id is unknown at plan, and for_each needs known keys.
    if var.rest_api != null && contains(try(keys(route), []), "resource")
  }

  # The submodules take typed objects; attributes left out become null and take their defaults.
  introspection = {
    for name in ["cache_max_entries", "cache_ttl_seconds", "client_id", "client_secret_arn", "client_secret_kms_key_arn", "client_secret_parameter_arn", "endpoint", "response_format", "retries", "timeout_seconds"] :
    name => try(var.introspection[name], null)
  }
  function = {
    for name in ["architecture", "code_signing_config_arn", "kms_key_arn", "layers", "log_kms_key_arn", "log_level", "log_retention_in_days", "logging_config", "memory_size", "package", "reserved_concurrent_executions", "runtime", "timeout", "tracing_mode", "vpc"] :
    name => try(var.function[name], null)
  }
  iam = { for name in ["existing_role_arn", "permissions_boundary_arn", "role_name", "role_path"] : name => try(var.iam[name], null) }
}

module "function" {
  source = "./modules/authorizer-function"

  name          = var.name
  function      = local.function
  iam           = local.iam
  introspection = local.introspection
  authorization = {
    context_claims  = try(var.authorizer.context_claims, null)
    policy_resource = try(var.authorizer.policy_resource, null)
    required_scopes = local.required_scopes
    route_scopes    = local.route_scopes
    default_route   = local.http_api_catch_all == "deny" ? "deny" : "scopes"
    # "deny" with no table is refused by name (outputs.tf); the function is not given it.
    unlisted_routes = length(local.route_scopes) > 0 ? local.unlisted_routes : "required"
  }
  metrics_namespace = local.alarms.metrics_namespace

  tags = var.tags
}

module "authorizer" {
  source = "./modules/rest-api-authorizer"
  count  = var.rest_api == null ? 0 : 1

  name     = var.name
  rest_api = var.rest_api
  function = {
    invoke_arn             = module.function.lambda_function_invoke_arn
    name                   = module.function.lambda_function_name
    route_identity_sources = module.function.route_identity_sources
  }
  authorizer = {
    identity_sources   = local.identity_sources
    result_ttl_seconds = try(var.authorizer.result_ttl_seconds, null)
    type               = local.authorizer_type
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
  lambda_permission = {
    execution_arn = var.rest_api.execution_arn
    resource_path = local._route_paths[each.key]
  }
  # A route whose key names another path than its resource would protect the wrong method.
  # (A resource without a path is refused by the root's own check, which names the route.)
  path_check = each.value.resource_path == null ? null : {
    actual   = each.value.resource_path
    expected = local._route_paths[each.key]
  }
  authorizer = {
    context_key = local.context_key
    id          = module.authorizer[0].authorizer_id
  }
}

# A partial Secrets Manager ARN (the name without the six random characters AWS adds) lets the
# role read nothing, so every request fails. Its shape cannot always be told from a full ARN's:
# a name whose last part has six letters (".../introspection-client-secret") looks like one.
# Six lowercase letters are common in names and rare as AWS's random characters (about 1 in
# 180), so this warns rather than refuses.
check "client_secret_arn_is_full" {
  assert {
    condition     = !can(regex("-[a-z]{6}$", local.introspection.client_secret_arn))
    error_message = "introspection.client_secret_arn ends in \"-${try(regex("[a-z]{6}$", local.introspection.client_secret_arn), "")}\": that looks like part of the secret's name, not the six random characters AWS adds to a full ARN. With a partial ARN the function's role can read nothing and every request fails (500). Get the full ARN with: aws secretsmanager describe-secret --secret-id <name> --query ARN (or use aws_secretsmanager_secret.<name>.arn)."
  }
}
