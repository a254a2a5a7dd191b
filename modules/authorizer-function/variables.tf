variable "authorization" {
  description = "What the authorizer demands and forwards. `required_scopes`: scopes every request needs. `route_scopes`: \"METHOD /path\" (the path as API Gateway holds it, e.g. `/orders/{id}`; method `ANY` for all) to the scopes that route needs on top. `policy_resource`: `stage` (one Allow for the whole stage; required when API Gateway caches decisions) or `method` (the exact method ARN; only with the authorizer cache off). `context_claims`: token claims copied into the authorizer context. `unlisted_routes`: `required` (a route not in `route_scopes` needs `required_scopes`) or `deny` (it is denied: list every route, `[]` for one with no scope of its own). `default_route` (HTTP APIs): `scopes` (a request routed to `$default` needs `required_scopes` plus `route_scopes[\"$default\"]`) or `deny` (every request routed to `$default` is denied; the authorizer's identity sources must then include `$context.routeKey`)."
  type = object({
    context_claims  = optional(list(string), ["sub", "scope", "client_id"])
    default_route   = optional(string, "scopes")
    policy_resource = optional(string, "stage")
    required_scopes = optional(list(string), [])
    route_scopes    = optional(map(list(string)), {})
    unlisted_routes = optional(string, "required")
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["required", "deny"], var.authorization.unlisted_routes) && (var.authorization.unlisted_routes == "required" || length(var.authorization.route_scopes) > 0)
    error_message = "unlisted_routes must be \"required\" or \"deny\"; \"deny\" needs route_scopes, or it would deny every request."
  }

  validation {
    condition     = contains(["scopes", "deny"], var.authorization.default_route)
    error_message = "default_route must be \"scopes\" or \"deny\"."
  }

  validation {
    condition     = contains(["stage", "method"], var.authorization.policy_resource)
    error_message = "policy_resource must be \"stage\" or \"method\"."
  }

  validation {
    condition = alltrue([
      for scope in concat(var.authorization.required_scopes, flatten(values(var.authorization.route_scopes))) :
      can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$", scope))
    ])
    error_message = "Scopes must be RFC 6749 scope tokens: printable ASCII without spaces, quotes or backslashes."
  }

  validation {
    condition = alltrue([
      for key, scopes in var.authorization.route_scopes :
      can(regex("^(\\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\})))$", key))
    ])
    error_message = "Route scope keys must be \"$default\" (the HTTP API catch-all) or \"METHOD /path\" (GET, POST, PUT, PATCH, DELETE, HEAD or ANY; OPTIONS is never authorized) with the path as API Gateway holds it (segments of A-Za-z0-9._-, {name}, a final {name+}; no empty segment or trailing slash); an empty list lists a route with no scope of its own. Wrong: ${join(", ", [for key, scopes in var.authorization.route_scopes : jsonencode(key) if !(can(regex("^(\\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\})))$", key)))])}."
  }

  validation {
    condition = alltrue([
      for claim in var.authorization.context_claims : can(regex("^[A-Za-z0-9_.:-]+$", claim)) && claim != "Authorization"
    ])
    error_message = "Context claims must be claim names (letters, digits, _ . : -) and must not be Authorization, the key that carries the JWT."
  }
}

variable "function" {
  description = "The Lambda function. `package`: the zip to deploy; by default the one committed with this module, or `filename` of your own, or an object in S3 (`s3_bucket`, `s3_key`, `s3_object_version`, with `source_code_hash` to redeploy on change). `vpc`: subnets and security groups, for an identity server in a private network. `tracing_mode`: `PassThrough` or `Active` (X-Ray). `log_kms_key_arn`: KMS key for the log group."
  type = object({
    architecture                   = optional(string, "arm64")
    code_signing_config_arn        = optional(string)
    kms_key_arn                    = optional(string)
    layers                         = optional(list(string), [])
    log_kms_key_arn                = optional(string)
    log_level                      = optional(string, "INFO")
    log_retention_in_days          = optional(number, 365)
    memory_size                    = optional(number, 256)
    reserved_concurrent_executions = optional(number, -1)
    runtime                        = optional(string, "python3.13")
    timeout                        = optional(number, 10)
    tracing_mode                   = optional(string, "PassThrough")
    logging_config = optional(object({
      application_log_level = optional(string)
      log_format            = optional(string, "Text")
      system_log_level      = optional(string)
    }))
    package = optional(object({
      filename          = optional(string)
      s3_bucket         = optional(string)
      s3_key            = optional(string)
      s3_object_version = optional(string)
      source_code_hash  = optional(string)
    }), {})
    vpc = optional(object({
      security_group_ids = list(string)
      subnet_ids         = list(string)
    }))
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.function.architecture)
    error_message = "function.architecture must be \"arm64\" or \"x86_64\"."
  }

  validation {
    condition     = contains(["python3.12", "python3.13"], var.function.runtime)
    error_message = "function.runtime must be \"python3.12\" or \"python3.13\"."
  }

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.function.log_level)
    error_message = "function.log_level must be one of DEBUG, INFO, WARNING, ERROR."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 0], var.function.log_retention_in_days)
    error_message = "function.log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 to keep logs forever)."
  }

  validation {
    condition     = var.function.memory_size >= 128 && var.function.memory_size <= 10240 && var.function.timeout >= 1 && var.function.timeout <= 30
    error_message = "function.memory_size must be 128-10240 MB and function.timeout 1-30 seconds (API Gateway waits at most 29 seconds for an authorizer)."
  }

  validation {
    condition     = var.function.reserved_concurrent_executions == -1 || var.function.reserved_concurrent_executions >= 1
    error_message = "function.reserved_concurrent_executions must be -1 (unreserved) or at least 1: 0 throttles the authorizer and every request would be a 500."
  }

  validation {
    condition     = contains(["PassThrough", "Active"], var.function.tracing_mode)
    error_message = "function.tracing_mode must be \"PassThrough\" or \"Active\"."
  }

  validation {
    condition     = var.function.code_signing_config_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.function.code_signing_config_arn))
    error_message = "function.code_signing_config_arn must be a Lambda code signing config ARN (arn:aws:lambda:REGION:ACCOUNT:code-signing-config:csc-...)."
  }

  validation {
    condition     = var.function.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.function.log_kms_key_arn))
    error_message = "function.log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): CloudWatch Logs takes no alias."
  }

  validation {
    condition     = var.function.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.function.kms_key_arn))
    error_message = "function.kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), the key that encrypts the function's environment variables."
  }

  validation {
    condition = length(var.function.layers) <= 5 && alltrue([
      for arn in var.function.layers : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", arn))
    ])
    error_message = "function.layers must be at most 5 Lambda layer version ARNs (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)."
  }

  validation {
    condition = var.function.logging_config == null ? true : alltrue([
      contains(["Text", "JSON"], var.function.logging_config.log_format),
      contains(["-", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], coalesce(var.function.logging_config.application_log_level, "-")),
      contains(["-", "DEBUG", "INFO", "WARN"], coalesce(var.function.logging_config.system_log_level, "-")),
      var.function.logging_config.log_format == "JSON" || (var.function.logging_config.application_log_level == null && var.function.logging_config.system_log_level == null),
    ])
    error_message = "function.logging_config: log_format must be \"Text\" or \"JSON\"; application_log_level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) and system_log_level (DEBUG, INFO, WARN) need log_format = \"JSON\"."
  }

  validation {
    condition = (
      var.function.package.filename == null
      ? (var.function.package.s3_bucket == null) == (var.function.package.s3_key == null)
      : var.function.package.s3_bucket == null && var.function.package.s3_key == null
    )
    error_message = "function.package takes either filename, or s3_bucket with s3_key; not both."
  }

  validation {
    condition     = var.function.vpc == null || try(length(var.function.vpc.subnet_ids) > 0 && length(var.function.vpc.security_group_ids) > 0, false)
    error_message = "function.vpc needs at least one subnet id and one security group id."
  }
}

variable "iam" {
  description = "The function's IAM role. By default one is created, named after `name` with a unique suffix so that the same configuration can be applied in several regions (IAM is global). `role_name` fixes the name, `role_path` and `permissions_boundary_arn` apply to the created role; `existing_role_arn` brings your own role: the module then creates and attaches nothing."
  type = object({
    existing_role_arn        = optional(string)
    permissions_boundary_arn = optional(string)
    role_name                = optional(string)
    role_path                = optional(string, "/")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.iam.existing_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\\x21-\\x7E]+/)?[A-Za-z0-9+=,.@_-]{1,64}$", var.iam.existing_role_arn))
    error_message = "iam.existing_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }

  validation {
    condition     = var.iam.existing_role_arn == null || (var.iam.permissions_boundary_arn == null && var.iam.role_name == null && var.iam.role_path == "/")
    error_message = "iam.existing_role_arn brings your own role: permissions_boundary_arn, role_name and role_path apply only to the role the module creates."
  }

  validation {
    condition     = var.iam.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/([\\x21-\\x7E]+/)?[A-Za-z0-9+=,.@_-]{1,128}$", var.iam.permissions_boundary_arn))
    error_message = "iam.permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)."
  }

  validation {
    condition     = var.iam.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.iam.role_name))
    error_message = "iam.role_name must be 1-64 letters, digits or +=,.@_- characters."
  }

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]{1,510}/)?$", var.iam.role_path))
    error_message = "iam.role_path must begin and end with / (for example /authorizers/)."
  }
}

variable "introspection" {
  description = "The identity server's introspection endpoint and the client the authorizer uses there. The client secret comes from exactly one of `client_secret_arn` (a Secrets Manager secret: a plain string or JSON with `client_secret`) and `client_secret_parameter_arn` (an SSM SecureString parameter): the secret value itself is never an input. `client_secret_kms_key_arn`: the customer managed KMS key that encrypts it, if any. `response_format`: `jwt` (Curity: `Accept: application/jwt`) or `rfc9701`. `cache_ttl_seconds` and `cache_max_entries` bound the function's in-memory cache of introspection results."
  type = object({
    cache_max_entries           = optional(number, 1000)
    cache_ttl_seconds           = optional(number, 300)
    client_id                   = string
    client_secret_arn           = optional(string)
    client_secret_kms_key_arn   = optional(string)
    client_secret_parameter_arn = optional(string)
    endpoint                    = string
    response_format             = optional(string, "jwt")
    retries                     = optional(number, 1)
    timeout_seconds             = optional(number, 3)
  })
  nullable = false

  validation {
    # A bracketed host must be an IPv6 address in hex groups (no embedded IPv4) that cidrhost
    # reads: the Lambda (Python's urlsplit) refuses any other, and every request would fail.
    condition = alltrue([
      can(regex("^(https://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:]+\\])|http://(localhost|127(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}|\\[::1\\]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/[\\x21\\x22\\x24-\\x7E]*)?$", var.introspection.endpoint)),
      !can(regex("^https://\\[", var.introspection.endpoint)) || can(cidrhost("${regex("^https://\\[([0-9A-Fa-f:]+)\\]", var.introspection.endpoint)[0]}/128", 0)),
    ])
    error_message = "introspection.endpoint must be an https:// URL (a host name or a bracketed IPv6 address, a port up to 65535, no credentials or fragment, a path in printable ASCII with anything else percent-encoded; plain http only for localhost, 127.x.y.z written without leading zeros, and [::1])."
  }

  validation {
    condition     = length(trimspace(var.introspection.client_id)) > 0 && !can(regex("[[:cntrl:]]", var.introspection.client_id))
    error_message = "introspection.client_id must not be empty or contain control characters."
  }

  validation {
    condition     = (var.introspection.client_secret_arn == null) != (var.introspection.client_secret_parameter_arn == null)
    error_message = "Set exactly one of introspection.client_secret_arn (Secrets Manager) and introspection.client_secret_parameter_arn (SSM Parameter Store)."
  }

  validation {
    condition     = var.introspection.client_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.introspection.client_secret_arn))
    error_message = "introspection.client_secret_arn must be the full ARN of a Secrets Manager secret, ending in the secret's name, a hyphen and the six characters AWS adds: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf (use aws_secretsmanager_secret.<name>.arn)."
  }

  validation {
    condition     = var.introspection.client_secret_parameter_arn == null || can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$", var.introspection.client_secret_parameter_arn))
    error_message = "introspection.client_secret_parameter_arn must be an SSM parameter ARN: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME."
  }

  validation {
    condition     = var.introspection.client_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.introspection.client_secret_kms_key_arn))
    error_message = "introspection.client_secret_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }

  validation {
    condition     = contains(["jwt", "rfc9701"], var.introspection.response_format)
    error_message = "introspection.response_format must be \"jwt\" or \"rfc9701\"."
  }

  validation {
    condition = (
      var.introspection.cache_ttl_seconds >= 0 && var.introspection.cache_ttl_seconds <= 3600
      && var.introspection.cache_max_entries >= 1 && var.introspection.cache_max_entries <= 100000
      && floor(var.introspection.cache_ttl_seconds) == var.introspection.cache_ttl_seconds
      && floor(var.introspection.cache_max_entries) == var.introspection.cache_max_entries
    )
    error_message = "introspection.cache_ttl_seconds must be a whole number 0-3600 (0 disables the cache) and introspection.cache_max_entries 1-100000."
  }

  validation {
    condition = (
      var.introspection.timeout_seconds >= 0.1 && var.introspection.timeout_seconds <= 30
      && contains([0, 1, 2, 3], var.introspection.retries)
    )
    error_message = "introspection.timeout_seconds must be 0.1-30 and introspection.retries 0-3."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the metrics the function writes in its decision lines (embedded metric format)."
  type        = string
  default     = "PhantomToken"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9.\\-_/#: ]{1,255}$", var.metrics_namespace)) && trimspace(var.metrics_namespace) != "" && !startswith(var.metrics_namespace, "AWS/") && !startswith(var.metrics_namespace, ":")
    error_message = "metrics_namespace must be 1 to 255 characters of A-Za-z0-9 . - _ / # : and space, not only spaces, and start with neither : nor AWS/."
  }
}

variable "name" {
  description = "Name of the Lambda function; also names its IAM role, policy and log group."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 letters, digits, hyphens or underscores (it also names the IAM role)."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}
