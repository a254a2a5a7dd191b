################################################################################
# Security-relevant inputs are typed `any` on purpose: Terraform converts an object argument to
# its declared type and drops attributes it does not know without a word, so `scope = [...]` for
# `scopes` would silently leave a route open. These inputs reject unknown attributes instead, by
# name, and main.tf builds the typed values the submodules take.
################################################################################

variable "alarms" {
  description = "Metrics, alarms and a dashboard for whoever is paged. The function always writes its metrics (CloudWatch embedded metric format) to `metrics_namespace` (default `PhantomToken`). `enabled` (default false) creates four alarms: `error_rate_percent` (error decisions per 100 decisions, default 5), `throttles` (Lambda throttles per period, default 1), `duration_p99_percent` (Lambda Duration p99 as a percentage of function.timeout, default 80), `identity_server_failures` (5xx, timeouts, unreachable and unreadable answers per period, default 5); each over `evaluation_periods` (default 3) periods of `period_seconds` (default 60), notifying the SNS topic ARNs in `alarm_actions` and `ok_actions`. `dashboard_enabled` (default false) creates a CloudWatch dashboard."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.alarms)) && length(setsubtract(try(keys(var.alarms), []), ["alarm_actions", "dashboard_enabled", "duration_p99_percent", "enabled", "error_rate_percent", "evaluation_periods", "identity_server_failures", "metrics_namespace", "ok_actions", "period_seconds", "throttles"])) == 0
    error_message = "alarms must be an object with the attributes alarm_actions, dashboard_enabled, duration_p99_percent, enabled, error_rate_percent, evaluation_periods, identity_server_failures, metrics_namespace, ok_actions, period_seconds, throttles; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.alarms), []), ["alarm_actions", "dashboard_enabled", "duration_p99_percent", "enabled", "error_rate_percent", "evaluation_periods", "identity_server_failures", "metrics_namespace", "ok_actions", "period_seconds", "throttles"])) : "\"${key}\""])}."
  }

  validation {
    condition     = alltrue([for name in ["enabled", "dashboard_enabled"] : try(var.alarms[name], null) == null || try(var.alarms[name] == true || var.alarms[name] == false, false)])
    error_message = "alarms.enabled and alarms.dashboard_enabled must be true or false."
  }

  validation {
    condition = alltrue([
      for name in ["alarm_actions", "ok_actions"] : try(var.alarms[name], null) == null || try(alltrue([
        for arn in var.alarms[name] : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", arn))
      ]) && length(var.alarms[name]) <= 5, false)
    ])
    error_message = "alarms.alarm_actions and alarms.ok_actions must be lists of at most 5 SNS topic ARNs (arn:aws:sns:<region>:<account>:<topic>). Wrong: ${jsonencode({ for name in ["alarm_actions", "ok_actions"] : "alarms.${name}" => try(var.alarms[name], null) })}."
  }

  validation {
    condition     = try(var.alarms.error_rate_percent, null) == null || try(var.alarms.error_rate_percent > 0 && var.alarms.error_rate_percent <= 100, false)
    error_message = "alarms.error_rate_percent must be a number above 0 and at most 100."
  }

  validation {
    condition     = try(var.alarms.duration_p99_percent, null) == null || try(var.alarms.duration_p99_percent >= 10 && var.alarms.duration_p99_percent <= 100, false)
    error_message = "alarms.duration_p99_percent must be a number from 10 to 100 (a percentage of function.timeout)."
  }

  validation {
    condition = alltrue([
      for name in ["throttles", "identity_server_failures", "evaluation_periods"] :
      try(var.alarms[name], null) == null || try(var.alarms[name] >= 1 && var.alarms[name] <= 100000 && floor(var.alarms[name]) == var.alarms[name], false)
    ])
    error_message = "alarms.throttles, alarms.identity_server_failures and alarms.evaluation_periods must be whole numbers from 1 to 100000."
  }

  validation {
    condition     = try(var.alarms.period_seconds, null) == null || try(var.alarms.period_seconds >= 60 && var.alarms.period_seconds <= 86400 && var.alarms.period_seconds % 60 == 0, false)
    error_message = "alarms.period_seconds must be a multiple of 60 from 60 to 86400."
  }

  validation {
    condition     = try(var.alarms.metrics_namespace, null) == null || try(can(regex("^[A-Za-z0-9.\\-_/#: ]{1,255}$", var.alarms.metrics_namespace)) && trimspace(var.alarms.metrics_namespace) != "" && !startswith(var.alarms.metrics_namespace, "AWS/") && !startswith(var.alarms.metrics_namespace, ":"), false)
    error_message = "alarms.metrics_namespace must be a CloudWatch namespace: 1 to 255 characters of A-Za-z0-9 . - _ / # : and space, not only spaces, starting with neither : nor AWS/."
  }
}

variable "authorizer" {
  description = "How API Gateway calls the function and uses its answer. `type`: `TOKEN` (the Authorization header only, checked against a bearer expression first) or `REQUEST`; by default TOKEN, or REQUEST keyed by token and route (`method.request.header.Authorization`, `context.httpMethod`, `context.resourceId`) whenever a route has scopes. `identity_sources`: a REQUEST authorizer's cache key (the route-pinning sources are added when routes have scopes). `result_ttl_seconds`: API Gateway's cache of decisions, 0-3600 (default 300). `policy_resource`: `stage` (default) or `method` (only with `result_ttl_seconds = 0`). `context_claims`: token claims copied into the authorizer context (default `sub scope client_id`)."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.authorizer)) && length(setsubtract(try(keys(var.authorizer), []), ["context_claims", "identity_sources", "policy_resource", "result_ttl_seconds", "type"])) == 0
    error_message = "authorizer must be an object with the attributes context_claims, identity_sources, policy_resource, result_ttl_seconds, type; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.authorizer), []), ["context_claims", "identity_sources", "policy_resource", "result_ttl_seconds", "type"])) : "\"${key}\""])}."
  }

  validation {
    # null (unset) becomes "-"; a value coalesce cannot take, such as a list, is refused.
    condition     = contains(["TOKEN", "REQUEST", "-"], try(coalesce(try(var.authorizer.type, null), "-"), ""))
    error_message = "authorizer.type must be \"TOKEN\" or \"REQUEST\"."
  }

  validation {
    condition     = can(tonumber(try(var.authorizer.result_ttl_seconds, 300))) && try(var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600 && floor(var.authorizer.result_ttl_seconds) == var.authorizer.result_ttl_seconds, true)
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds from 0 to 3600."
  }

  validation {
    condition     = contains(["stage", "method"], try(coalesce(try(var.authorizer.policy_resource, null), "stage"), ""))
    error_message = "authorizer.policy_resource must be \"stage\" or \"method\"."
  }

  validation {
    condition     = try(var.authorizer.policy_resource, null) != "method" || try(var.authorizer.result_ttl_seconds, 300) == 0
    error_message = "authorizer.policy_resource = \"method\" needs authorizer.result_ttl_seconds = 0: API Gateway reuses a cached policy on every method, and a policy naming one method denies the others."
  }

  validation {
    condition = try(var.authorizer.identity_sources, null) == null || try(length(var.authorizer.identity_sources) > 0 && alltrue([
      for source in var.authorizer.identity_sources :
      can(regex("^(method\\.request\\.(header|querystring|multivaluequerystring|multivalueheader)\\.[A-Za-z0-9._-]+|stageVariables\\.[A-Za-z0-9_]+|context\\.[A-Za-z0-9.]+)$", source))
    ]), false)
    error_message = "authorizer.identity_sources must be a non-empty list of request values such as method.request.header.Authorization or context.resourceId."
  }

  validation {
    condition     = try(var.authorizer.identity_sources, null) == null || try(var.authorizer.type, null) != "TOKEN"
    error_message = "authorizer.identity_sources needs authorizer.type = \"REQUEST\": a TOKEN authorizer reads method.request.header.Authorization only."
  }

  validation {
    condition = (
      try(var.authorizer.identity_sources, null) == null
      || try(var.authorizer.result_ttl_seconds, 300) == 0
      || contains(try([for source in var.authorizer.identity_sources : lower(source)], []), "method.request.header.authorization")
    )
    error_message = "authorizer.identity_sources must include method.request.header.Authorization while authorizer.result_ttl_seconds is above 0: API Gateway caches one decision per identity-source values, and would serve the first caller's Allow, with that caller's JWT, to everyone (got ${jsonencode(try(var.authorizer.identity_sources, null))})."
  }

  validation {
    condition = try(var.authorizer.context_claims, null) == null || try(alltrue([
      for claim in var.authorizer.context_claims : can(regex("^[A-Za-z0-9_.:-]+$", claim)) && claim != "Authorization"
    ]), false)
    error_message = "authorizer.context_claims must be claim names (letters, digits, _ . : -) and must not be Authorization, the key that carries the JWT."
  }
}

variable "function" {
  description = "The Lambda function: `architecture` (arm64), `runtime` (python3.13 or python3.12), `memory_size` (256), `timeout` (10), `log_level` (INFO), `log_retention_in_days` (365), `log_kms_key_arn` (KMS key ARN for the log group), `kms_key_arn` (KMS key ARN for the environment variables), `layers` (layer version ARNs), `logging_config` (`log_format` Text or JSON, `application_log_level`, `system_log_level`), `tracing_mode` (PassThrough or Active), `reserved_concurrent_executions` (-1, or 1 and more), `code_signing_config_arn`, `vpc` (`subnet_ids`, `security_group_ids`) and `package` (default: the zip committed with this module; or `filename`; or `s3_bucket`, `s3_key`, `s3_object_version`, `source_code_hash`). Unknown attributes are rejected."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.function)) && length(setsubtract(try(keys(var.function), []), ["architecture", "code_signing_config_arn", "kms_key_arn", "layers", "log_kms_key_arn", "log_level", "log_retention_in_days", "logging_config", "memory_size", "package", "reserved_concurrent_executions", "runtime", "timeout", "tracing_mode", "vpc"])) == 0
    error_message = "function must be an object with the attributes architecture, code_signing_config_arn, kms_key_arn, layers, log_kms_key_arn, log_level, log_retention_in_days, logging_config, memory_size, package, reserved_concurrent_executions, runtime, timeout, tracing_mode, vpc; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.function), []), ["architecture", "code_signing_config_arn", "kms_key_arn", "layers", "log_kms_key_arn", "log_level", "log_retention_in_days", "logging_config", "memory_size", "package", "reserved_concurrent_executions", "runtime", "timeout", "tracing_mode", "vpc"])) : "\"${key}\""])}."
  }

  validation {
    condition = alltrue([
      for name, allowed in {
        package        = ["filename", "s3_bucket", "s3_key", "s3_object_version", "source_code_hash"]
        vpc            = ["security_group_ids", "subnet_ids"]
        logging_config = ["application_log_level", "log_format", "system_log_level"]
      } : try(var.function[name], null) == null || (can(keys(var.function[name])) && length(setsubtract(try(keys(var.function[name]), []), allowed)) == 0)
    ])
    error_message = "function.package takes filename, s3_bucket, s3_key, s3_object_version, source_code_hash; function.vpc takes security_group_ids, subnet_ids; function.logging_config takes application_log_level, log_format, system_log_level. Found: ${jsonencode({ for name in ["package", "vpc", "logging_config"] : name => try(sort(keys(var.function[name])), null) })}."
  }

  validation {
    condition     = contains(["arm64", "x86_64"], try(coalesce(try(var.function.architecture, null), "arm64"), ""))
    error_message = "function.architecture must be \"arm64\" or \"x86_64\"."
  }

  validation {
    condition     = contains(["python3.12", "python3.13"], try(coalesce(try(var.function.runtime, null), "python3.13"), ""))
    error_message = "function.runtime must be \"python3.12\" or \"python3.13\"."
  }

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], try(coalesce(try(var.function.log_level, null), "INFO"), ""))
    error_message = "function.log_level must be one of DEBUG, INFO, WARNING, ERROR."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 0], try(coalesce(try(var.function.log_retention_in_days, null), 365), -1))
    error_message = "function.log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 to keep logs forever)."
  }

  validation {
    condition     = try(coalesce(try(var.function.memory_size, null), 256) >= 128 && coalesce(try(var.function.memory_size, null), 256) <= 10240, false)
    error_message = "function.memory_size must be 128-10240 MB."
  }

  validation {
    condition     = try(coalesce(try(var.function.timeout, null), 10) >= 1 && coalesce(try(var.function.timeout, null), 10) <= 30, false)
    error_message = "function.timeout must be 1-30 seconds (API Gateway waits at most 29 seconds for an authorizer)."
  }

  validation {
    condition     = try(coalesce(try(var.function.reserved_concurrent_executions, null), -1) == -1 || coalesce(try(var.function.reserved_concurrent_executions, null), -1) >= 1, false)
    error_message = "function.reserved_concurrent_executions must be -1 (unreserved) or at least 1: 0 throttles the authorizer and every request would be a 500."
  }

  validation {
    condition     = contains(["PassThrough", "Active"], try(coalesce(try(var.function.tracing_mode, null), "PassThrough"), ""))
    error_message = "function.tracing_mode must be \"PassThrough\" or \"Active\"."
  }

  validation {
    condition     = try(var.function.code_signing_config_arn, null) == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.function.code_signing_config_arn))
    error_message = "function.code_signing_config_arn must be a Lambda code signing config ARN (arn:aws:lambda:REGION:ACCOUNT:code-signing-config:csc-...)."
  }

  validation {
    condition     = try(var.function.log_kms_key_arn, null) == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.function.log_kms_key_arn))
    error_message = "function.log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): CloudWatch Logs takes no alias."
  }

  validation {
    condition     = try(var.function.kms_key_arn, null) == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.function.kms_key_arn))
    error_message = "function.kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), the key that encrypts the function's environment variables."
  }

  validation {
    condition = try(var.function.layers, null) == null || try(length(var.function.layers) <= 5 && alltrue([
      for arn in var.function.layers : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", arn))
    ]), false)
    error_message = "function.layers must be at most 5 Lambda layer version ARNs (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)."
  }

  validation {
    condition = try(var.function.logging_config, null) == null || try(alltrue([
      contains(["Text", "JSON"], coalesce(try(var.function.logging_config.log_format, null), "Text")),
      contains(["-", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], coalesce(try(var.function.logging_config.application_log_level, null), "-")),
      contains(["-", "DEBUG", "INFO", "WARN"], coalesce(try(var.function.logging_config.system_log_level, null), "-")),
      (try(var.function.logging_config.log_format, "Text") == "JSON" || (try(var.function.logging_config.application_log_level, null) == null && try(var.function.logging_config.system_log_level, null) == null)),
    ]), false)
    error_message = "function.logging_config: log_format must be \"Text\" or \"JSON\"; application_log_level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) and system_log_level (DEBUG, INFO, WARN) need log_format = \"JSON\"."
  }

  validation {
    condition = try(var.function.package, null) == null || try(alltrue([
      try(var.function.package.filename, null) == null
      ? (try(var.function.package.s3_bucket, null) == null) == (try(var.function.package.s3_key, null) == null)
      : try(var.function.package.s3_bucket, null) == null && try(var.function.package.s3_key, null) == null,
    ]), false)
    error_message = "function.package takes either filename, or s3_bucket with s3_key; not both."
  }

  validation {
    condition     = try(var.function.vpc, null) == null || try(length(var.function.vpc.subnet_ids) > 0 && length(var.function.vpc.security_group_ids) > 0, false)
    error_message = "function.vpc needs at least one subnet id and one security group id."
  }
}

variable "gateway_responses" {
  description = "API Gateway's answers when the authorizer refuses or fails: 401 with `WWW-Authenticate: Bearer`, 403 with `WWW-Authenticate: Bearer error=\"insufficient_scope\"`, a JSON 500. Turn `enabled` off when the API's gateway responses are managed elsewhere. `cors_allowed_origin` (`*` or an origin) adds CORS headers so a browser can read them. Unknown attributes are rejected."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.gateway_responses)) && length(setsubtract(try(keys(var.gateway_responses), []), ["cors_allowed_origin", "enabled"])) == 0
    error_message = "gateway_responses must be an object with the attributes cors_allowed_origin, enabled; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.gateway_responses), []), ["cors_allowed_origin", "enabled"])) : "\"${key}\""])}. A misspelt attribute would be dropped and its setting lost."
  }

  validation {
    condition     = try(var.gateway_responses.enabled, null) == null || try(var.gateway_responses.enabled == true || var.gateway_responses.enabled == false, false)
    error_message = "gateway_responses.enabled must be true or false."
  }

  validation {
    condition     = try(var.gateway_responses.cors_allowed_origin, null) == null || can(regex("^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)$", var.gateway_responses.cors_allowed_origin))
    error_message = "gateway_responses.cors_allowed_origin must be \"*\" or an origin such as https://app.example.com (scheme, host, optional port)."
  }
}

variable "http_api" {
  description = "The HTTP API (API Gateway v2) to protect: its `id` and `execution_arn` (pass the `aws_apigatewayv2_api` itself, or an object with those two). `jwt_header` (default `X-Phantom-Token`): the request header that carries \"Bearer <jwt>\" upstream, because HTTP APIs reserve `Authorization` for parameter mapping; the upstream reads the JWT there and ignores `Authorization`, which still holds the client's opaque token. `default_route`: the catch-all every unmatched request lands on (`GET /orders/` for a `GET /orders` route included): `deny` (the default) creates a `$default` route behind the authorizer, which denies it, so no unlisted path or spelling reaches a backend; `none` leaves `$default` to you (give it an authorizer: see the README); a `routes[\"$default\"]` entry forwards it instead, with its own scopes. Set exactly one of `rest_api` and `http_api`. Unknown attributes are rejected."
  type        = any
  default     = null

  validation {
    # The module's attributes, and those of aws_apigatewayv2_api (hashicorp/aws 5.100; `region`
    # from 6.0) so that the resource itself can be passed.
    condition     = var.http_api == null || (can(keys(var.http_api)) && length(setsubtract(try(keys(var.http_api), []), ["default_route", "execution_arn", "id", "jwt_header", "api_endpoint", "api_key_selection_expression", "arn", "body", "cors_configuration", "credentials_arn", "description", "disable_execute_api_endpoint", "fail_on_warnings", "ip_address_type", "name", "protocol_type", "region", "route_key", "route_selection_expression", "tags", "tags_all", "target", "version"])) == 0)
    error_message = "http_api must be an aws_apigatewayv2_api, or an object with the attributes id, execution_arn, jwt_header, default_route; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.http_api), []), ["default_route", "execution_arn", "id", "jwt_header", "api_endpoint", "api_key_selection_expression", "arn", "body", "cors_configuration", "credentials_arn", "description", "disable_execute_api_endpoint", "fail_on_warnings", "ip_address_type", "name", "protocol_type", "region", "route_key", "route_selection_expression", "tags", "tags_all", "target", "version"])) : "\"${key}\""])}. A misspelt attribute would be dropped and its setting lost. (An attribute of aws_apigatewayv2_api from a newer provider: pass { id, execution_arn } instead of the resource.)"
  }

  validation {
    condition     = var.http_api == null || try(var.http_api.id != null && var.http_api.execution_arn != null, false)
    error_message = "http_api needs id and execution_arn (attributes of aws_apigatewayv2_api)."
  }

  validation {
    condition     = try(var.http_api.jwt_header, null) == null || can(regex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", var.http_api.jwt_header))
    error_message = "http_api.jwt_header must be an HTTP header name (an RFC 9110 token: letters, digits and !#$%&'*+.^_`|~-)."
  }

  validation {
    condition     = !can(lower(var.http_api.jwt_header) == "authorization") || try(lower(var.http_api.jwt_header) != "authorization", true)
    error_message = "http_api.jwt_header cannot be Authorization: HTTP APIs reserve it for parameter mapping, so the JWT cannot replace the client's opaque token there. Keep the default X-Phantom-Token (or another header) and have the upstream read the JWT from it."
  }

  validation {
    # The headers API Gateway reserves for HTTP API parameter mapping (Authorization above):
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html#http-api-mapping-reserved-headers
    condition = !can(lower(var.http_api.jwt_header)) || try(alltrue([
      !contains(["connection", "content-encoding", "content-length", "content-location", "forwarded", "keep-alive", "origin", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via"], lower(var.http_api.jwt_header)),
      length([for prefix in ["access-control-", "apigw-", "x-amz-", "x-amzn-"] : prefix if startswith(lower(var.http_api.jwt_header), prefix)]) == 0,
    ]), true)
    error_message = "http_api.jwt_header must not be a header API Gateway reserves for HTTP API parameter mapping (Connection, Content-Encoding, Content-Length, Content-Location, Forwarded, Keep-Alive, Origin, Proxy-Authenticate, Proxy-Authorization, TE, Trailers, Transfer-Encoding, Upgrade, Via, X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto, access-control-*, apigw-*, x-amz-*, x-amzn-*): got ${jsonencode(try(var.http_api.jwt_header, null))}."
  }

  validation {
    # Quick create: API Gateway makes the target's route ($default unless route_key says
    # otherwise) itself, with no authorizer, outside this module's reach.
    condition     = try(var.http_api.target, null) == null
    error_message = "http_api.target is set: API Gateway's quick create then makes a route (${try(coalesce(var.http_api.route_key, "$default"), "$default")}) with no authorizer, a way around this one. Create the API without target and route_key, and its routes through routes (or your own routes with authorization_type = \"CUSTOM\")."
  }

  validation {
    condition     = contains(["deny", "none", "-"], try(coalesce(try(var.http_api.default_route, null), "-"), ""))
    error_message = "http_api.default_route must be \"deny\" (the module puts $default behind the authorizer, which denies it) or \"none\" (you manage $default yourself). To forward the catch-all to a backend, leave it unset and add routes[\"$default\"] with its scopes and integration."
  }
}

variable "iam" {
  description = "The function's IAM role. By default the module creates one named after `name` with a unique suffix (IAM is global: the same configuration applied in two regions must not collide), allowed to write its log group and read the one secret. `role_name` (a fixed name), `role_path`, `permissions_boundary_arn`; or `existing_role_arn` to bring your own role: the module then creates and attaches nothing, and the role must grant what the README lists. Unknown attributes are rejected."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.iam)) && length(setsubtract(try(keys(var.iam), []), ["existing_role_arn", "permissions_boundary_arn", "role_name", "role_path"])) == 0
    error_message = "iam must be an object with the attributes existing_role_arn, permissions_boundary_arn, role_name, role_path; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.iam), []), ["existing_role_arn", "permissions_boundary_arn", "role_name", "role_path"])) : "\"${key}\""])}."
  }

  validation {
    condition     = try(var.iam.existing_role_arn, null) == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\\x21-\\x7E]+/)?[A-Za-z0-9+=,.@_-]{1,64}$", var.iam.existing_role_arn))
    error_message = "iam.existing_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }

  validation {
    condition     = try(var.iam.existing_role_arn, null) == null || (try(var.iam.permissions_boundary_arn, null) == null && try(var.iam.role_name, null) == null && try(var.iam.role_path, null) == null)
    error_message = "iam.existing_role_arn brings your own role: permissions_boundary_arn, role_name and role_path apply only to the role the module creates."
  }

  validation {
    condition     = try(var.iam.permissions_boundary_arn, null) == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/([\\x21-\\x7E]+/)?[A-Za-z0-9+=,.@_-]{1,128}$", var.iam.permissions_boundary_arn))
    error_message = "iam.permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)."
  }

  validation {
    condition     = try(var.iam.role_name, null) == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.iam.role_name))
    error_message = "iam.role_name must be 1-64 letters, digits or +=,.@_- characters."
  }

  validation {
    condition     = try(var.iam.role_path, null) == null || can(regex("^/([\\x21-\\x7E]{1,510}/)?$", var.iam.role_path))
    error_message = "iam.role_path must begin and end with / (for example /authorizers/)."
  }
}

variable "introspection" {
  description = "The identity server: `endpoint` (https; http only for loopback hosts), `client_id`, exactly one of `client_secret_arn` (the full ARN of a Secrets Manager secret, with its 6-character suffix) and `client_secret_parameter_arn` (an SSM SecureString parameter ARN): never the secret itself, `client_secret_kms_key_arn` (the secret's customer managed key, if any), `response_format` (`jwt` or `rfc9701`), `timeout_seconds` (3), `retries` (1), and the function's in-memory cache: `cache_ttl_seconds` (300, 0-3600) and `cache_max_entries` (1000). Unknown attributes are rejected."
  type        = any
  nullable    = false

  validation {
    condition     = can(keys(var.introspection)) && length(setsubtract(try(keys(var.introspection), []), ["cache_max_entries", "cache_ttl_seconds", "client_id", "client_secret_arn", "client_secret_kms_key_arn", "client_secret_parameter_arn", "endpoint", "response_format", "retries", "timeout_seconds"])) == 0
    error_message = "introspection must be an object with the attributes cache_max_entries, cache_ttl_seconds, client_id, client_secret_arn, client_secret_kms_key_arn, client_secret_parameter_arn, endpoint, response_format, retries, timeout_seconds; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.introspection), []), ["cache_max_entries", "cache_ttl_seconds", "client_id", "client_secret_arn", "client_secret_kms_key_arn", "client_secret_parameter_arn", "endpoint", "response_format", "retries", "timeout_seconds"])) : "\"${key}\""])}."
  }

  validation {
    # A bracketed host must be an IPv6 address in hex groups (no embedded IPv4) that cidrhost
    # reads: the Lambda (Python's urlsplit) refuses any other, and every request would fail.
    condition = alltrue([
      can(regex("^(https://([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:]+\\])|http://(localhost|127(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}|\\[::1\\]))(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/[\\x21\\x22\\x24-\\x7E]*)?$", try(var.introspection.endpoint, ""))),
      !can(regex("^https://\\[", var.introspection.endpoint)) || can(cidrhost("${regex("^https://\\[([0-9A-Fa-f:]+)\\]", var.introspection.endpoint)[0]}/128", 0)),
    ])
    error_message = "introspection.endpoint ${try(var.introspection.endpoint, null) == null ? "is required" : "is not one the function can call"}: it must be an https:// URL (a host name or a bracketed IPv6 address, a port up to 65535, no credentials or fragment, a path in printable ASCII with anything else percent-encoded; plain http only for localhost, 127.x.y.z written without leading zeros, and [::1])."
  }

  validation {
    condition     = try(length(trimspace(var.introspection.client_id)) > 0 && !can(regex("[[:cntrl:]]", var.introspection.client_id)), false)
    error_message = "introspection.client_id is required and must not be empty or contain control characters."
  }

  validation {
    condition     = (try(var.introspection.client_secret_arn, null) == null) != (try(var.introspection.client_secret_parameter_arn, null) == null)
    error_message = "Set exactly one of introspection.client_secret_arn (Secrets Manager) and introspection.client_secret_parameter_arn (SSM Parameter Store)."
  }

  validation {
    # The role may read exactly this ARN. Secrets Manager ARNs end in "-" and six random
    # characters: a partial ARN would never match the real secret, and every request would fail.
    condition     = try(var.introspection.client_secret_arn, null) == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.introspection.client_secret_arn))
    error_message = "introspection.client_secret_arn must be the full ARN of a Secrets Manager secret, ending in the secret's name, a hyphen and the six characters AWS adds: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf (use aws_secretsmanager_secret.<name>.arn, or: aws secretsmanager describe-secret --secret-id NAME --query ARN)."
  }

  validation {
    condition     = try(var.introspection.client_secret_parameter_arn, null) == null || can(regex("^arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$", var.introspection.client_secret_parameter_arn))
    error_message = "introspection.client_secret_parameter_arn must be an SSM parameter ARN: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME."
  }

  validation {
    condition     = try(var.introspection.client_secret_kms_key_arn, null) == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.introspection.client_secret_kms_key_arn))
    error_message = "introspection.client_secret_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }

  validation {
    condition     = contains(["jwt", "rfc9701"], try(coalesce(try(var.introspection.response_format, null), "jwt"), ""))
    error_message = "introspection.response_format must be \"jwt\" or \"rfc9701\"."
  }

  validation {
    condition = try(alltrue([
      coalesce(try(var.introspection.cache_ttl_seconds, null), 300) >= 0 && coalesce(try(var.introspection.cache_ttl_seconds, null), 300) <= 3600,
      floor(coalesce(try(var.introspection.cache_ttl_seconds, null), 300)) == coalesce(try(var.introspection.cache_ttl_seconds, null), 300),
      coalesce(try(var.introspection.cache_max_entries, null), 1000) >= 1 && coalesce(try(var.introspection.cache_max_entries, null), 1000) <= 100000,
      floor(coalesce(try(var.introspection.cache_max_entries, null), 1000)) == coalesce(try(var.introspection.cache_max_entries, null), 1000),
    ]), false)
    error_message = "introspection.cache_ttl_seconds must be a whole number 0-3600 (0 disables the cache) and introspection.cache_max_entries 1-100000."
  }

  validation {
    condition = try(alltrue([
      coalesce(try(var.introspection.timeout_seconds, null), 3) >= 0.1 && coalesce(try(var.introspection.timeout_seconds, null), 3) <= 30,
      contains([0, 1, 2, 3], coalesce(try(var.introspection.retries, null), 1)),
    ]), false)
    error_message = "introspection.timeout_seconds must be 0.1-30 and introspection.retries 0-3."
  }
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
  description = "The REST API to protect: its `id` and `execution_arn` (attributes of `aws_api_gateway_rest_api`). Set exactly one of `rest_api` and `http_api`."
  type = object({
    execution_arn = string
    id            = string
  })
  default = null
}

variable "routes" {
  description = "Methods this module creates behind the authorizer, keyed \"METHOD /path\" (METHOD GET, POST, PUT, PATCH, DELETE, HEAD or ANY; the path exactly as API Gateway holds it: `/orders/{id}`, a final `{proxy+}`, no trailing slash), or `$default` (HTTP APIs: the catch-all, forwarded with its own scopes). `resource` (REST API only, required there; refused with `http_api`): the API Gateway resource of that path (`aws_api_gateway_resource.<name>`, or `{ id, path }`); its path must equal the key's. `scopes` (required: `[]` means nothing beyond `scopes.required`): what the route needs. `integration`: the HTTP backend (`uri`, `type` HTTP_PROXY or HTTP, `http_method`, `request_parameters`, `timeout_milliseconds`, `connection_id`); plain `http://` only to loopback or through a VPC link; path parameters are mapped for you. A Lambda backend (REST and HTTP APIs): `type = \"AWS_PROXY\"`, `uri` the function's `invoke_arn` (and `timeout_milliseconds`, nothing else); the module grants API Gateway the permission to invoke it from this route, and the function reads \"Bearer <jwt>\" from its event (`requestContext.authorizer.Authorization`, on an HTTP API `requestContext.authorizer.lambda.Authorization`). With `http_api`: an HTTP_PROXY integration (no `type = \"HTTP\"`), `request_parameters` in HTTP API syntax (`append|overwrite|remove:header.<name>`), `timeout_milliseconds` up to 30000, `uri` may name the route's path variables (`https://backend/orders/{id}`). `request_parameters`: extra method request parameters (REST API only). Unknown attributes are rejected."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.routes))
    error_message = "routes must be a map of \"METHOD /path\" to route objects."
  }

  validation {
    condition     = alltrue([for key in try(keys(var.routes), []) : can(regex("^(\\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\})))$", key))])
    error_message = "routes keys must be \"$default\" (HTTP APIs) or \"METHOD /path\" with METHOD GET, POST, PUT, PATCH, DELETE, HEAD or ANY (OPTIONS, the CORS preflight, carries no token and is never put behind the authorizer) and the path as API Gateway holds it: segments of A-Za-z0-9._-, {name}, or a final {name+}; no empty segment or trailing slash. Not routable: ${join(", ", [for key in try(keys(var.routes), []) : jsonencode(key) if !can(regex("^(\\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\})))$", key))])}."
  }

  validation {
    condition = alltrue([
      for key, route in var.routes :
      can(keys(route)) && length(setsubtract(try(keys(route), []), ["integration", "request_parameters", "resource", "scopes"])) == 0
    ])
    error_message = "routes entries take the attributes integration, request_parameters, resource, scopes (resource_id became resource: pass aws_api_gateway_resource.<name>). Unknown: ${join("; ", [for key, route in var.routes : "routes[${jsonencode(key)}]: ${join(", ", [for name in sort(setsubtract(try(keys(route), []), ["integration", "request_parameters", "resource", "scopes"])) : "\"${name}\""])}" if length(setsubtract(try(keys(route), []), ["integration", "request_parameters", "resource", "scopes"])) > 0])}."
  }

  validation {
    condition = alltrue([
      for key, route in var.routes :
      try(startswith(jsonencode(route.scopes), "[") && alltrue([for scope in route.scopes : try(scope == tostring(scope), false) && can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$", scope))]), false)
    ])
    error_message = "Every route needs scopes: a list of scope strings (RFC 6749 scope tokens; not a map, an object or a single string), or [] for nothing beyond scopes.required (so that a misspelt attribute cannot leave a route open); each item is one scope: write [\"a\", \"b\"], not [\"a b\"]. Missing or invalid: ${join(", ", [for key, route in var.routes : "routes[${jsonencode(key)}].scopes" if !try(startswith(jsonencode(route.scopes), "[") && alltrue([for scope in route.scopes : try(scope == tostring(scope), false) && can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$", scope))]), false)])}."
  }

  validation {
    condition = alltrue([
      for key, route in var.routes :
      can(keys(route.integration)) && length(setsubtract(try(keys(route.integration), []), ["connection_id", "http_method", "request_parameters", "timeout_milliseconds", "type", "uri"])) == 0 && (try(route.integration.type, null) == "AWS_PROXY" || can(regex("^https?://[^\\s]+$", route.integration.uri)))
    ])
    error_message = "Every route needs integration = { uri = \"https://...\" } (or, for a Lambda backend, type = \"AWS_PROXY\" and uri = its invoke_arn) with only the attributes connection_id, http_method, request_parameters, timeout_milliseconds, type, uri. Wrong: ${join("; ", flatten([for key, route in var.routes : concat(!can(keys(route.integration)) ? ["routes[${jsonencode(key)}].integration is missing or not an object"] : [], length(setsubtract(try(keys(route.integration), []), ["connection_id", "http_method", "request_parameters", "timeout_milliseconds", "type", "uri"])) > 0 ? ["routes[${jsonencode(key)}].integration has unknown attributes ${join(", ", [for name in sort(setsubtract(try(keys(route.integration), []), ["connection_id", "http_method", "request_parameters", "timeout_milliseconds", "type", "uri"])) : jsonencode(name)])}"] : [], can(keys(route.integration)) && try(route.integration.type, null) != "AWS_PROXY" && !can(regex("^https?://[^\\s]+$", route.integration.uri)) ? ["routes[${jsonencode(key)}].integration.uri is missing or not an http(s):// URL"] : [], )]))}."
  }

  validation {
    # A Lambda backend: the function's invoke ARN, from which the module takes the function's
    # ARN for its permission. Anything else (an https URL, a function ARN, an S3 ARN) is named.
    condition = alltrue([
      for key, route in var.routes :
      try(route.integration.type, null) != "AWS_PROXY" || can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?/invocations$", route.integration.uri))
    ])
    error_message = "An AWS_PROXY integration's uri must be the invoke ARN of a Lambda function (aws_lambda_function.<name>.invoke_arn: arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations). Wrong: ${join(", ", [for key, route in var.routes : "routes[${jsonencode(key)}].integration.uri" if !(try(route.integration.type, null) != "AWS_PROXY" || can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?/invocations$", route.integration.uri)))])}."
  }

  validation {
    # API Gateway invokes a function with POST, never over a VPC link, and hands it the whole
    # request (the JWT included) in its event: nothing to set or to map.
    condition = alltrue([
      for key, route in var.routes :
      try(route.integration.type, null) != "AWS_PROXY" || length(setintersection(try(keys(route.integration), []), ["connection_id", "http_method", "request_parameters"])) == 0
    ])
    error_message = "An AWS_PROXY (Lambda) integration takes uri and timeout_milliseconds only: the function is invoked with POST, over no VPC link, with the request and the JWT in its event. Not for a Lambda: ${join(", ", flatten([for key, route in var.routes : [for name in sort(setintersection(try(keys(route.integration), []), ["connection_id", "http_method", "request_parameters"])) : "routes[${jsonencode(key)}].integration.${name}"] if try(route.integration.type, null) == "AWS_PROXY"]))}."
  }

  validation {
    # The integration carries the JWT: in clear text it would cross the network readable by anyone on the path.
    condition = alltrue([
      for key, route in var.routes :
      !startswith(lower(try(route.integration.uri, "")), "http://") || try(route.integration.connection_id, null) != null || can(regex("^http://(localhost|127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|\\[::1\\])([:/]|$)", lower(route.integration.uri)))
    ])
    error_message = "A plain http:// integration would send the JWT across the network in clear text: use https://, or a VPC link (integration.connection_id). Offending: ${join(", ", [for key, route in var.routes : "routes[${jsonencode(key)}].integration.uri" if !(!startswith(lower(try(route.integration.uri, "")), "http://") || try(route.integration.connection_id, null) != null || can(regex("^http://(localhost|127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|\\[::1\\])([:/]|$)", lower(route.integration.uri))))])}."
  }

  validation {
    condition = alltrue([
      for key, route in var.routes :
      !contains([for name in try(keys(route.integration.request_parameters), []) : lower(name)], "integration.request.header.authorization")
    ])
    error_message = "routes[*].integration.request_parameters must not map integration.request.header.Authorization: it carries the JWT from the authorizer."
  }
}

variable "scopes" {
  description = "Scopes the authorizer demands, each a list of scope strings. `required`: every request (`[]` or `null` for none). `routes`: \"METHOD /path\" (the route grammar of `routes`) to scopes, for methods managed outside this module (`[]` lists a route with no scope of its own); `routes[*].scopes` are added to these. `unlisted_routes`: what a route that neither `routes` nor `scopes.routes` names gets: `deny` (the default when either names a route: a misspelt key fails closed, 403) or `required` (`scopes.required` only; the default without a route table). A token that lacks a scope gets 403. Unknown attributes are rejected."
  type        = any
  default     = {}
  nullable    = false

  validation {
    condition     = can(keys(var.scopes)) && length(setsubtract(try(keys(var.scopes), []), ["required", "routes", "unlisted_routes"])) == 0
    error_message = "scopes must be an object with the attributes required, routes, unlisted_routes; it has ${join(", ", [for key in sort(setsubtract(try(keys(var.scopes), []), ["required", "routes", "unlisted_routes"])) : "\"${key}\""])}. A misspelt attribute would be dropped and its scopes never enforced."
  }

  validation {
    condition     = contains(["deny", "required", "-"], try(coalesce(try(var.scopes.unlisted_routes, null), "-"), ""))
    error_message = "scopes.unlisted_routes must be \"deny\" (a route that neither routes nor scopes.routes names is denied: a misspelt key fails closed) or \"required\" (it needs scopes.required only)."
  }

  validation {
    # A list of strings, nothing else: `for` reads a map or an object by its values, so they
    # would pass a looser check and then fail to convert to a list, dropping the scopes; a
    # number or a bool is not a scope. jsonencode tells a list by its "[", and a string is the
    # only value equal to its own tostring() (no escaped quote here: checkov's HCL parser loses
    # the whole file on one, and with it every variable's default).
    condition     = try(var.scopes.required, null) == null || try(startswith(jsonencode(var.scopes.required), "[") && alltrue([for scope in var.scopes.required : try(scope == tostring(scope), false) && can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$", scope))]), false)
    error_message = "scopes.required must be a list of scope strings ([] or null for none): RFC 6749 scope tokens, printable ASCII without spaces, quotes or backslashes. Not a map, an object, a single string, or a list holding numbers or bools."
  }

  validation {
    condition     = try(var.scopes.routes, null) == null || can(keys(var.scopes.routes))
    error_message = "scopes.routes must be a map of \"METHOD /path\" to lists of scopes."
  }

  validation {
    condition     = alltrue([for key in try(keys(var.scopes.routes), []) : can(regex("^(\\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\})))$", key))])
    error_message = "scopes.routes keys must be \"$default\" (HTTP APIs) or \"METHOD /path\" with METHOD GET, POST, PUT, PATCH, DELETE, HEAD or ANY and the path as API Gateway holds it: segments of A-Za-z0-9._-, {name}, or a final {name+}; no empty segment, trailing slash or wildcard. Not routable, so never enforced: ${join(", ", [for key in try(keys(var.scopes.routes), []) : jsonencode(key) if !can(regex("^(\\$default|(GET|POST|PUT|PATCH|DELETE|HEAD|ANY) (/|(/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\}))*/([A-Za-z0-9._-]+|\\{[A-Za-z0-9_]+\\+?\\})))$", key))])}."
  }

  validation {
    condition = alltrue([
      for key in try(keys(var.scopes.routes), []) :
      try(startswith(jsonencode(var.scopes.routes[key]), "[") && alltrue([for scope in var.scopes.routes[key] : try(scope == tostring(scope), false) && can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$", scope))]), false)
    ])
    error_message = "Each scopes.routes entry must be a list of scope strings (RFC 6749 scope tokens; not a map, an object or a single string; [] lists the route with no scope of its own). Wrong: ${join(", ", [for key in try(keys(var.scopes.routes), []) : "scopes.routes[${jsonencode(key)}]" if !try(startswith(jsonencode(var.scopes.routes[key]), "[") && alltrue([for scope in var.scopes.routes[key] : try(scope == tostring(scope), false) && can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$", scope))]), false)])}."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}
