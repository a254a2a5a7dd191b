variable "backend_url" {
  description = "Base URL of the HTTP API behind the gateway."
  type        = string
  default     = "https://backend.example.com"
}

variable "client_secret_parameter_arn" {
  description = "ARN of the SSM SecureString parameter that holds the introspection client secret (managed outside this configuration)."
  type        = string
  default     = "arn:aws:ssm:eu-west-1:123456789012:parameter/phantom-token/client-secret"
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
