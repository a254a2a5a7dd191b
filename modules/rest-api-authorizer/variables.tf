variable "authorizer" {
  description = "The API Gateway authorizer. `type`: `TOKEN` (reads the Authorization header, checks it against a bearer expression before invoking the function) or `REQUEST` (gets the whole request; `identity_sources` are its cache key). `result_ttl_seconds`: how long API Gateway caches a decision per identity, 0-3600 (0 turns caching off)."
  type = object({
    identity_sources   = optional(list(string), ["method.request.header.Authorization"])
    result_ttl_seconds = optional(number, 300)
    type               = optional(string, "TOKEN")
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["TOKEN", "REQUEST"], var.authorizer.type)
    error_message = "authorizer.type must be \"TOKEN\" or \"REQUEST\"."
  }

  validation {
    condition = (
      var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600
      && floor(var.authorizer.result_ttl_seconds) == var.authorizer.result_ttl_seconds
    )
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds from 0 to 3600."
  }

  validation {
    condition = length(var.authorizer.identity_sources) > 0 && alltrue([
      for source in var.authorizer.identity_sources :
      can(regex("^(method\\.request\\.(header|querystring|multivaluequerystring|multivalueheader)\\.[A-Za-z0-9._-]+|stageVariables\\.[A-Za-z0-9_]+|context\\.[A-Za-z0-9.]+)$", source))
    ])
    error_message = "authorizer.identity_sources must name request values such as method.request.header.Authorization."
  }

  validation {
    condition     = var.authorizer.result_ttl_seconds == 0 || contains([for source in var.authorizer.identity_sources : lower(source)], "method.request.header.authorization")
    error_message = "authorizer.identity_sources must include method.request.header.Authorization while authorizer.result_ttl_seconds is above 0: API Gateway caches one decision per identity-source values, and would serve the first caller's Allow, with that caller's JWT, to everyone."
  }

  validation {
    condition     = var.authorizer.type == "REQUEST" || join(",", var.authorizer.identity_sources) == "method.request.header.Authorization"
    error_message = "A TOKEN authorizer reads method.request.header.Authorization only; use type = \"REQUEST\" for other identity sources."
  }
}

variable "function" {
  description = "The authorizer Lambda function: its `name` (for the invoke permission), `invoke_arn`, and `route_identity_sources`: the identity sources its decisions need in API Gateway's cache key (the function submodule's `route_identity_sources` output: the route-pinning sources when it enforces per-route scopes, else `[]`)."
  type = object({
    invoke_arn             = string
    name                   = string
    route_identity_sources = list(string)
  })
  nullable = false
}

variable "name" {
  description = "Name of the API Gateway authorizer."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.name)) > 0
    error_message = "name must not be empty."
  }
}

variable "rest_api" {
  description = "The REST API the authorizer belongs to: its `id` and `execution_arn`."
  type = object({
    execution_arn = string
    id            = string
  })
  nullable = false
}
