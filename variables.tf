variable "authorizer" {
  description = "How API Gateway calls the function and uses its answer. `type`: `TOKEN` (the Authorization header, checked against a bearer expression first) or `REQUEST` (with `identity_sources` as the cache key). `result_ttl_seconds`: API Gateway's cache of decisions per token, 0-3600. `policy_resource`: `stage` (one Allow for the whole stage, so a cached decision is right on every path) or `method` (the exact method ARN; only with `result_ttl_seconds = 0`). `context_claims`: token claims copied into the authorizer context (default `sub scope client_id`)."
  type = object({
    context_claims     = optional(list(string))
    identity_sources   = optional(list(string))
    policy_resource    = optional(string, "stage")
    result_ttl_seconds = optional(number, 300)
    type               = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.authorizer.policy_resource != "method" || var.authorizer.result_ttl_seconds == 0
    error_message = "authorizer.policy_resource = \"method\" needs authorizer.result_ttl_seconds = 0: API Gateway reuses a cached policy on every method, and a policy naming one method denies the others."
  }
}

variable "function" {
  description = "The Lambda function (see modules/authorizer-function): `architecture` (arm64), `runtime` (python3.13 or python3.12), `memory_size` (256), `timeout` (10), `log_level` (INFO), `log_retention_in_days` (365), `log_kms_key_arn`, `tracing_mode` (PassThrough or Active), `reserved_concurrent_executions` (-1), `code_signing_config_arn`, `vpc` (`subnet_ids`, `security_group_ids`) and `package` (default: the zip committed with this module; or `filename`; or `s3_bucket`, `s3_key`, `s3_object_version`, `source_code_hash`)."
  type = object({
    architecture                   = optional(string)
    code_signing_config_arn        = optional(string)
    log_kms_key_arn                = optional(string)
    log_level                      = optional(string)
    log_retention_in_days          = optional(number)
    memory_size                    = optional(number)
    reserved_concurrent_executions = optional(number)
    runtime                        = optional(string)
    timeout                        = optional(number)
    tracing_mode                   = optional(string)
    package = optional(object({
      filename          = optional(string)
      s3_bucket         = optional(string)
      s3_key            = optional(string)
      s3_object_version = optional(string)
      source_code_hash  = optional(string)
    }))
    vpc = optional(object({
      security_group_ids = list(string)
      subnet_ids         = list(string)
    }))
  })
  default  = {}
  nullable = false
}

variable "gateway_responses" {
  description = "API Gateway's answers when the authorizer refuses or fails: 401 with `WWW-Authenticate: Bearer`, 403 with `WWW-Authenticate: Bearer error=\"insufficient_scope\"`, a JSON 500. Turn `enabled` off when the API's gateway responses are managed elsewhere. `cors_allowed_origin` (`*` or an origin) adds CORS headers so a browser can read them."
  type = object({
    cors_allowed_origin = optional(string)
    enabled             = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.gateway_responses.cors_allowed_origin == null || can(regex("^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)$", var.gateway_responses.cors_allowed_origin))
    error_message = "gateway_responses.cors_allowed_origin must be \"*\" or an origin such as https://app.example.com (scheme, host, optional port)."
  }
}

variable "introspection" {
  description = "The identity server: `endpoint` (https; http only for loopback hosts), `client_id`, exactly one of `client_secret_arn` (a Secrets Manager secret) and `client_secret_parameter_arn` (an SSM SecureString parameter): never the secret itself, `client_secret_kms_key_arn` (the secret's customer managed key, if any), `response_format` (`jwt` or `rfc9701`), `timeout_seconds` (3), `retries` (1), and the function's in-memory cache: `cache_ttl_seconds` (300, 0-3600) and `cache_max_entries` (1000)."
  type = object({
    cache_max_entries           = optional(number)
    cache_ttl_seconds           = optional(number)
    client_id                   = string
    client_secret_arn           = optional(string)
    client_secret_kms_key_arn   = optional(string)
    client_secret_parameter_arn = optional(string)
    endpoint                    = string
    response_format             = optional(string)
    retries                     = optional(number)
    timeout_seconds             = optional(number)
  })
  nullable = false
}

variable "name" {
  description = "Name of the authorizer, its Lambda function, IAM role and log group."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 letters, digits, hyphens or underscores."
  }
}

variable "rest_api" {
  description = "The REST API to protect: its `id` and `execution_arn` (attributes of `aws_api_gateway_rest_api`)."
  type = object({
    execution_arn = string
    id            = string
  })
  nullable = false
}

variable "routes" {
  description = "Methods this module creates behind the authorizer, keyed \"METHOD /path\" (the path as in API Gateway, e.g. `/orders/{id}`). `resource_id`: the API Gateway resource of that path. `scopes`: what the route needs on top of `scopes.required`. `integration`: the HTTP backend (`uri`, `type` HTTP_PROXY or HTTP, `http_method`, `request_parameters`, `timeout_milliseconds`, `connection_id`); path parameters are mapped for you. `request_parameters`: extra method request parameters."
  type = map(object({
    integration = object({
      connection_id        = optional(string)
      http_method          = optional(string)
      request_parameters   = optional(map(string), {})
      timeout_milliseconds = optional(number)
      type                 = optional(string)
      uri                  = string
    })
    request_parameters = optional(map(bool), {})
    resource_id        = string
    scopes             = optional(list(string), [])
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for key in keys(var.routes) : can(regex("^[A-Z]+ /([A-Za-z0-9._~!$&'()*+,;=:@-]+|\\{[A-Za-z0-9_]+\\+?\\})?(/([A-Za-z0-9._~!$&'()*+,;=:@-]+|\\{[A-Za-z0-9_]+\\+?\\}))*$", key))])
    error_message = "routes keys must be \"METHOD /path\", e.g. \"GET /orders\" or \"DELETE /orders/{id}\"."
  }

  validation {
    condition     = alltrue([for key in keys(var.routes) : contains(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY"], split(" ", key)[0])])
    error_message = "routes methods must be GET, POST, PUT, PATCH, DELETE, HEAD or ANY: OPTIONS (CORS preflight) carries no token and is never put behind the authorizer."
  }
}

variable "scopes" {
  description = "Scopes the authorizer demands. `required`: every request. `routes`: \"METHOD /path\" (path parameters and `*` allowed; method ANY or `*` for all) to scopes, for methods managed outside this module; `routes[*].scopes` are added to these. A token that lacks a scope gets 403."
  type = object({
    required = optional(list(string), [])
    routes   = optional(map(list(string)), {})
  })
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}
