# 401, 403 and authorizer-failure answers for a REST API (see modules/gateway-responses). HTTP
# APIs have no gateway responses to configure.
module "gateway_responses" {
  source = "./modules/gateway-responses"
  count  = var.gateway_responses.enabled && var.rest_api != null ? 1 : 0

  rest_api_id         = var.rest_api.id
  cors_allowed_origin = var.gateway_responses.cors_allowed_origin
}
