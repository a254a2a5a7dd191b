variable "authorizer" {
  description = "The HTTP API authorizer. `identity_sources`: request values that must all be present (else 401 without invoking the function) and that key API Gateway's cache of decisions; add `$context.httpMethod` and `$context.routeKey` when the function decides per route. `result_ttl_seconds`: how long API Gateway caches a decision, 0-3600 (0 turns caching off)."
  type = object({
    identity_sources   = optional(list(string), ["$request.header.Authorization"])
    result_ttl_seconds = optional(number, 300)
  })
  default  = {}
  nullable = false

  validation {
    condition = (
      var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600
      && floor(var.authorizer.result_ttl_seconds) == var.authorizer.result_ttl_seconds
    )
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds from 0 to 3600."
  }

  validation {
    # HTTP API identity sources are selection expressions starting with "$":
    # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-authorizers.html
    condition = length(var.authorizer.identity_sources) > 0 && alltrue([
      for source in var.authorizer.identity_sources :
      can(regex("^\\$(request\\.(header|querystring)\\.[A-Za-z0-9._-]+|context\\.[A-Za-z0-9._]+|stageVariables\\.[A-Za-z0-9_]+)$", source))
    ])
    error_message = "authorizer.identity_sources must be HTTP API selection expressions such as $request.header.Authorization or $context.routeKey (REST syntax such as method.request.header.Authorization does not apply)."
  }

  validation {
    condition     = var.authorizer.result_ttl_seconds == 0 || contains([for source in var.authorizer.identity_sources : lower(source)], "$request.header.authorization")
    error_message = "authorizer.identity_sources must include $request.header.Authorization while authorizer.result_ttl_seconds is above 0: API Gateway caches one decision per identity-source values, and would serve the first caller's Allow, with that caller's JWT, to everyone."
  }
}

variable "function" {
  description = "The authorizer Lambda function: its `name` (for the invoke permission) and `invoke_arn`."
  type = object({
    invoke_arn = string
    name       = string
  })
  nullable = false
}

variable "http_api" {
  description = "The HTTP API the authorizer belongs to: its `id` and `execution_arn` (attributes of `aws_apigatewayv2_api`)."
  type = object({
    execution_arn = string
    id            = string
  })
  nullable = false
}

variable "name" {
  description = "Name of the HTTP API authorizer."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.name)) > 0
    error_message = "name must not be empty."
  }
}
