################################################################################
# Alarms on the authorizer, opt-in (alarms.enabled). The metric and dimension names are the
# ones the Lambda writes (lambda/phantom_token/decision_log.py); the plan tests compare them.
################################################################################

locals {
  alarms = {
    alarm_actions            = coalesce(try(var.alarms.alarm_actions, null), [])
    dashboard_enabled        = coalesce(try(var.alarms.dashboard_enabled, null), false)
    duration_p99_percent     = coalesce(try(var.alarms.duration_p99_percent, null), 80)
    enabled                  = coalesce(try(var.alarms.enabled, null), false)
    error_rate_percent       = coalesce(try(var.alarms.error_rate_percent, null), 5)
    evaluation_periods       = coalesce(try(var.alarms.evaluation_periods, null), 3)
    identity_server_failures = coalesce(try(var.alarms.identity_server_failures, null), 5)
    metrics_namespace        = coalesce(try(var.alarms.metrics_namespace, null), "PhantomToken")
    ok_actions               = coalesce(try(var.alarms.ok_actions, null), [])
    period_seconds           = coalesce(try(var.alarms.period_seconds, null), 60)
    throttles                = coalesce(try(var.alarms.throttles, null), 1)
  }

  # decision_log.py: FUNCTION_DIMENSION, OUTCOME_DIMENSION, DECISIONS, ANSWER_METRICS, FAILED_ANSWERS.
  metric_dimensions = { function = "FunctionName", outcome = "Outcome" }
  metric_names = {
    cache_hit          = "CacheHit"
    decisions          = "Decisions"
    introspection_time = "IntrospectionTime"
    secret_read_time   = "SecretReadTime"
  }
  identity_server_answers = {
    "2xx"       = "IdentityServer2xx"
    "3xx"       = "IdentityServer3xx"
    "4xx"       = "IdentityServer4xx"
    "5xx"       = "IdentityServer5xx"
    timeout     = "IdentityServerTimeout"
    unreachable = "IdentityServerUnreachable"
    invalid     = "IdentityServerInvalid"
  }
  identity_server_failures = ["5xx", "timeout", "unreachable", "invalid"]
  alarm_function_name      = module.function.lambda_function_name
}

# Error decisions (500s: the identity server failed us, or the configuration is wrong) per 100
# decisions. Missing data is not breaching: no decision in a period means no traffic, not failure;
# FILL(errors, 0) keeps periods with decisions but no error at 0 %.
resource "aws_cloudwatch_metric_alarm" "error_rate" {
  count = local.alarms.enabled ? 1 : 0

  alarm_name          = "${var.name}-authorizer-error-rate"
  alarm_description   = "More than ${local.alarms.error_rate_percent}% of the authorizer's decisions were errors (API Gateway answered 500). See the README, \"Operating it\"."
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.alarms.error_rate_percent
  evaluation_periods  = local.alarms.evaluation_periods
  datapoints_to_alarm = local.alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarms.alarm_actions
  ok_actions          = local.alarms.ok_actions

  metric_query {
    id          = "rate"
    expression  = "100 * FILL(errors, 0) / decisions"
    label       = "error decisions per 100"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = local.alarms.metrics_namespace
      metric_name = local.metric_names.decisions
      period      = local.alarms.period_seconds
      stat        = "Sum"
      dimensions = {
        (local.metric_dimensions.function) = local.alarm_function_name
        (local.metric_dimensions.outcome)  = "error"
      }
    }
  }

  metric_query {
    id = "decisions"

    metric {
      namespace   = local.alarms.metrics_namespace
      metric_name = local.metric_names.decisions
      period      = local.alarms.period_seconds
      stat        = "Sum"
      dimensions = {
        (local.metric_dimensions.function) = local.alarm_function_name
      }
    }
  }

  tags = var.tags
}

# Lambda refused invocations (concurrency): API Gateway answers 500 to those requests. Lambda
# publishes Throttles only for a function that is invoked, so missing data is not breaching.
resource "aws_cloudwatch_metric_alarm" "throttles" {
  count = local.alarms.enabled ? 1 : 0

  alarm_name          = "${var.name}-authorizer-throttles"
  alarm_description   = "The authorizer function was throttled ${local.alarms.throttles} or more times per period. See the README, \"Operating it\"."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = local.alarm_function_name }
  statistic           = "Sum"
  period              = local.alarms.period_seconds
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.alarms.throttles
  evaluation_periods  = local.alarms.evaluation_periods
  datapoints_to_alarm = local.alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarms.alarm_actions
  ok_actions          = local.alarms.ok_actions

  tags = var.tags
}

# The slowest 1 % of invocations near the function's timeout: the next step is Lambda killing
# the call (a 500). No invocation in a period is not slowness: missing data is not breaching.
resource "aws_cloudwatch_metric_alarm" "duration" {
  count = local.alarms.enabled ? 1 : 0

  alarm_name          = "${var.name}-authorizer-duration-p99"
  alarm_description   = "The authorizer's p99 duration passed ${local.alarms.duration_p99_percent}% of its ${module.function.lambda_function_timeout} s timeout. See the README, \"Operating it\"."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = local.alarm_function_name }
  extended_statistic  = "p99"
  period              = local.alarms.period_seconds
  comparison_operator = "GreaterThanThreshold"
  threshold           = module.function.lambda_function_timeout * 1000 * local.alarms.duration_p99_percent / 100
  evaluation_periods  = local.alarms.evaluation_periods
  datapoints_to_alarm = local.alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarms.alarm_actions
  ok_actions          = local.alarms.ok_actions

  tags = var.tags
}

# Introspection attempts the identity server failed: 5xx, timeouts, no connection, unreadable
# answers. Each class is written only when it happens, so each is FILLed with 0 and missing data
# (no cache miss at all) is not breaching.
resource "aws_cloudwatch_metric_alarm" "identity_server" {
  count = local.alarms.enabled ? 1 : 0

  alarm_name          = "${var.name}-authorizer-identity-server-failures"
  alarm_description   = "The identity server failed ${local.alarms.identity_server_failures} or more introspections per period (5xx, timeout, unreachable, unreadable). See the README, \"Operating it\"."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.alarms.identity_server_failures
  evaluation_periods  = local.alarms.evaluation_periods
  datapoints_to_alarm = local.alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarms.alarm_actions
  ok_actions          = local.alarms.ok_actions

  metric_query {
    id          = "failures"
    expression  = join(" + ", [for answer in local.identity_server_failures : "FILL(answer_${answer}, 0)"])
    label       = "identity server failures"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = toset(local.identity_server_failures)

    content {
      id = "answer_${metric_query.value}"

      metric {
        namespace   = local.alarms.metrics_namespace
        metric_name = local.identity_server_answers[metric_query.value]
        period      = local.alarms.period_seconds
        stat        = "Sum"
        dimensions = {
          (local.metric_dimensions.function) = local.alarm_function_name
        }
      }
    }
  }

  tags = var.tags
}
