variable "backend_url" {
  description = "Base URL of the HTTP API behind both gateways; each API's path is appended."
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

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}
