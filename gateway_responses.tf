# 401, 403 and authorizer-failure answers for the API (see modules/gateway-responses).
module "gateway_responses" {
  source = "./modules/gateway-responses"
  count  = var.gateway_responses.enabled ? 1 : 0

  rest_api_id         = var.rest_api.id
  cors_allowed_origin = var.gateway_responses.cors_allowed_origin
}
