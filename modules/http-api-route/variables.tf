variable "api_id" {
  description = "ID of the HTTP API (`aws_apigatewayv2_api.<name>.id`)."
  type        = string
  nullable    = false
}

variable "authorizer" {
  description = "The authorizer that guards the route: its `id` and the `context_key` under which it returns \"Bearer <jwt>\" (the root module's `authorizer_id` and `authorizer_context_key` outputs)."
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

variable "execution_arn" {
  description = "The HTTP API's `execution_arn`: required with an `AWS_PROXY` integration, whose function's permission is scoped to `<execution_arn>/*/<METHOD><path>` (or `/*/$default`)."
  type        = string
  default     = null
}

variable "integration" {
  description = "The backend, proxied. `type`: `HTTP_PROXY` (the default, payload format 1.0) or `AWS_PROXY` (a Lambda function, payload format 2.0: `uri` is its `invoke_arn`; the function reads the JWT from its event, `requestContext.authorizer.lambda.<context_key>`; needs `execution_arn`; `http_method`, `request_parameters` and `connection_id` do not apply). `uri`: an https URL (a path parameter such as `{id}` of the route may appear in it), or with `connection_id` (a VPC link id) the ARN of a load balancer listener or Cloud Map service. `http_method` defaults to the route's (ANY for `$default`). `request_parameters`: HTTP API parameter mappings (`append|overwrite|remove:header.<name>`, `...:querystring.<name>`, `overwrite:path`), merged with the mapping that forwards the JWT, which cannot be overridden. `timeout_milliseconds`: 50-30000."
  type = object({
    connection_id        = optional(string)
    http_method          = optional(string)
    request_parameters   = optional(map(string), {})
    timeout_milliseconds = optional(number, 30000)
    type                 = optional(string, "HTTP_PROXY")
    uri                  = string
  })
  nullable = false

  validation {
    condition     = contains(["AWS_PROXY", "HTTP_PROXY"], var.integration.type)
    error_message = "integration.type must be \"HTTP_PROXY\" or \"AWS_PROXY\"."
  }

  validation {
    condition = (
      var.integration.type == "AWS_PROXY"
      ? can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?/invocations$", var.integration.uri))
      : can(regex("^https?://[^\\s]+$", var.integration.uri)) || (var.integration.connection_id != null && can(regex("^arn:aws[a-z-]*:(elasticloadbalancing|servicediscovery):", var.integration.uri)))
    )
    error_message = "integration.uri must be an http:// or https:// URL, with integration.connection_id the ARN of a load balancer listener or Cloud Map service, or with type = \"AWS_PROXY\" a Lambda function's invoke ARN (aws_lambda_function.<name>.invoke_arn)."
  }

  validation {
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html
    condition = alltrue([
      for key in keys(var.integration.request_parameters) :
      can(regex("^((append|overwrite|remove):(header\\.[!#$%&'*+.^_`|~0-9A-Za-z-]+|querystring\\.[^\\s]+)|overwrite:path)$", key))
    ])
    error_message = "integration.request_parameters keys must be HTTP API parameter mappings: append|overwrite|remove:header.<name>, append|overwrite|remove:querystring.<name> or overwrite:path (REST syntax such as integration.request.header.<name> does not apply). Wrong: ${join(", ", [for key in keys(var.integration.request_parameters) : jsonencode(key) if !can(regex("^((append|overwrite|remove):(header\\.[!#$%&'*+.^_`|~0-9A-Za-z-]+|querystring\\.[^\\s]+)|overwrite:path)$", key))])}."
  }

  validation {
    condition     = var.integration.timeout_milliseconds >= 50 && var.integration.timeout_milliseconds <= 30000
    error_message = "integration.timeout_milliseconds must be 50-30000 (the HTTP API integration limit)."
  }
}

variable "jwt_header" {
  description = "The request header that carries \"Bearer <jwt>\" to the backend. `Authorization` is reserved for HTTP API parameter mapping, so the backend reads the JWT here and ignores `Authorization` (which still holds the client's opaque token)."
  type        = string
  default     = "X-Phantom-Token"
  nullable    = false

  validation {
    # An RFC 9110 token (section 5.1), and none of the headers API Gateway reserves for HTTP API
    # parameter mapping:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html#http-api-mapping-reserved-headers
    condition = alltrue([
      can(regex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", var.jwt_header)),
      !contains(["authorization", "connection", "content-encoding", "content-length", "content-location", "forwarded", "keep-alive", "origin", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via"], lower(var.jwt_header)),
      length([for prefix in ["access-control-", "apigw-", "x-amz-", "x-amzn-"] : prefix if startswith(lower(var.jwt_header), prefix)]) == 0,
    ])
    error_message = "jwt_header must be a header name (RFC 9110 token) that HTTP APIs let integrations set: not Authorization (reserved: the JWT cannot replace the client's token there, so it travels in its own header) nor another reserved header (Connection, Content-*, Forwarded, Origin, Proxy-*, TE, Trailers, Transfer-Encoding, Upgrade, Via, X-Forwarded-*, access-control-*, apigw-*, x-amz-*, x-amzn-*). Got ${jsonencode(var.jwt_header)}."
  }
}

variable "route_key" {
  description = "The route, \"METHOD /path\" (METHOD GET, POST, PUT, PATCH, DELETE, HEAD or ANY; segments of A-Za-z0-9._-, `{name}`, a final `{name+}`), or `$default`. OPTIONS (CORS preflight) is never put behind the authorizer."
  type        = string
  nullable    = false

  validation {
    condition     = var.route_key == "$default" || can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\}))$", var.route_key))
    error_message = "route_key must be \"METHOD /path\" with METHOD GET, POST, PUT, PATCH, DELETE, HEAD or ANY (OPTIONS, the CORS preflight, carries no token) and segments of A-Za-z0-9._-, {name} or a final {name+}, or $default."
  }
}
