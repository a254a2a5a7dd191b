variable "authorizer_cache_ttl_seconds" {
  description = "How long API Gateway caches the authorizer's decision per token (0 turns caching off)."
  type        = number
  default     = 300
}

variable "backend_url" {
  description = "Base URL of the HTTP API behind the gateway; each route's path is appended."
  type        = string
  default     = "https://backend.example.com"
}

variable "client_id" {
  description = "The client the authorizer uses at the introspection endpoint."
  type        = string
  default     = "api-gateway-authorizer"
}

variable "introspection_endpoint" {
  description = "The identity server's introspection endpoint."
  type        = string
  default     = "https://login.example.com/oauth/v2/oauth-introspect"
}

variable "jwks_uri" {
  description = "The identity server's JWKS endpoint, from which the GET /whoami function takes the keys that verify the JWT."
  type        = string
  default     = "https://login.example.com/oauth/v2/oauth-anonymous/jwks"
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}
