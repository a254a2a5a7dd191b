variable "authorizer" {
  description = "The authorizer that guards the method: its `id` and the `context_key` under which it returns \"Bearer <jwt>\" (the root module's `authorizer_id` and `authorizer_context_key` outputs)."
  type = object({
    context_key = string
    id          = string
  })
  nullable = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.authorizer.context_key))
    error_message = "authorizer.context_key must be a context key name (letters, digits, underscores)."
  }
}

variable "http_method" {
  description = "HTTP method of the protected method: GET, POST, PUT, PATCH, DELETE, HEAD or ANY. OPTIONS (CORS preflight) is never put behind the authorizer."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY"], var.http_method)
    error_message = "http_method must be GET, POST, PUT, PATCH, DELETE, HEAD or ANY; OPTIONS (CORS preflight) must stay unauthenticated."
  }
}

variable "integration" {
  description = "The backend. `type`: `HTTP_PROXY` (request and response passed through), `HTTP` (responses mapped; a 200 passthrough is created) or `AWS_PROXY` (a Lambda function: `uri` is its `invoke_arn`; the function reads the JWT from its event, `requestContext.authorizer.<context_key>`, and gets a permission scoped to this method: see `lambda_permission`). `http_method` defaults to the method's own (ANY becomes the client's). `request_parameters` are merged with the mapping that forwards the JWT, which cannot be overridden. `connection_id` is a VPC link id (connection type VPC_LINK). `http_method`, `request_parameters` and `connection_id` do not apply to `AWS_PROXY`."
  type = object({
    connection_id        = optional(string)
    http_method          = optional(string)
    request_parameters   = optional(map(string), {})
    timeout_milliseconds = optional(number, 29000)
    type                 = optional(string, "HTTP_PROXY")
    uri                  = string
  })
  nullable = false

  validation {
    condition     = contains(["AWS_PROXY", "HTTP", "HTTP_PROXY"], var.integration.type)
    error_message = "integration.type must be \"HTTP\", \"HTTP_PROXY\" or \"AWS_PROXY\"."
  }

  validation {
    condition = (
      var.integration.type == "AWS_PROXY"
      ? can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?/invocations$", var.integration.uri))
      : can(regex("^https?://[^\\s]+$", var.integration.uri))
    )
    error_message = "integration.uri must be an http:// or https:// URL, or with type = \"AWS_PROXY\" a Lambda function's invoke ARN (aws_lambda_function.<name>.invoke_arn)."
  }

  validation {
    condition     = !contains([for key in keys(var.integration.request_parameters) : lower(key)], "integration.request.header.authorization")
    error_message = "integration.request_parameters must not map integration.request.header.Authorization: it carries the JWT from the authorizer."
  }

  validation {
    condition     = var.integration.timeout_milliseconds >= 50 && var.integration.timeout_milliseconds <= 29000
    error_message = "integration.timeout_milliseconds must be 50-29000."
  }
}

variable "lambda_permission" {
  description = "With an `AWS_PROXY` integration (required then): the REST API's `execution_arn` and this method's `resource_path` (`/orders/{id}`), from which the function's permission takes its source ARN, `<execution_arn>/*/<METHOD>/<path>` (path parameters as `*`)."
  type = object({
    execution_arn = string
    resource_path = string
  })
  default = null
}

variable "path_check" {
  description = "Optional guard that the method lands on the resource its caller meant: `expected` (the path the caller's scopes were written for, e.g. `/orders/{id}`) and `actual` (the resource's `path` attribute). When they differ the method is not created; with `actual` unknown at plan the check runs at apply, before the method exists."
  type = object({
    actual   = string
    expected = string
  })
  default = null
}

variable "request_parameters" {
  description = "Method request parameters (`method.request.path.id` and the like) to whether each is required."
  type        = map(bool)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key in keys(var.request_parameters) : can(regex("^method\\.request\\.(path|querystring|header|multivaluequerystring|multivalueheader)\\.[A-Za-z0-9._-]+$", key))])
    error_message = "request_parameters keys must look like method.request.(path|querystring|header).NAME."
  }
}

variable "resource_id" {
  description = "ID of the API Gateway resource (path) the method is on."
  type        = string
  nullable    = false
}

variable "rest_api_id" {
  description = "ID of the REST API."
  type        = string
  nullable    = false
}
