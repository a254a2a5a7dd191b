# 401, 403 and authorizer-failure answers for a REST API (see modules/gateway-responses). HTTP
# APIs have no gateway responses to configure.
locals {
  # var.gateway_responses is taken loosely (variables.tf rejects unknown attributes by name).
  gateway_responses_enabled = coalesce(lookup(var.gateway_responses, "enabled", null), true)
}

module "gateway_responses" {
  source = "./modules/gateway-responses"
  count  = local.gateway_responses_enabled && var.rest_api != null ? 1 : 0

  rest_api_id         = var.rest_api.id
  cors_allowed_origin = lookup(var.gateway_responses, "cors_allowed_origin", null)
}
