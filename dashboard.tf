################################################################################
# A CloudWatch dashboard for the authorizer, opt-in (alarms.dashboard_enabled).
################################################################################

locals {
  # The region of the API (arn:<partition>:execute-api:<region>:...), without a data source.
  # (null while neither API is given: the module's own precondition names that mistake.)
  dashboard_region = try(split(":", coalesce(try(var.rest_api.execution_arn, null), try(var.http_api.execution_arn, null)))[3], null)
  _ns              = local.alarms.metrics_namespace
  _fn              = [local.metric_dimensions.function, module.function.lambda_function_name]
  _lambda_fn       = ["FunctionName", module.function.lambda_function_name]

  _widgets = [
    {
      title   = "Decisions by outcome"
      stat    = "Sum"
      metrics = [for outcome in ["allow", "deny", "unauthorized", "error"] : concat([local._ns, local.metric_names.decisions], local._fn, [local.metric_dimensions.outcome, outcome, { label = outcome }])]
    },
    {
      title   = "Cache hit ratio (in-container cache)"
      stat    = "Average"
      metrics = [concat([local._ns, local.metric_names.cache_hit], local._fn, [{ label = "hits per lookup" }])]
    },
    {
      title   = "Introspection latency on a miss (ms)"
      stat    = "p50"
      metrics = [for p in ["p50", "p90", "p99"] : concat([local._ns, local.metric_names.introspection_time], local._fn, [{ stat = p, label = p }])]
    },
    {
      title   = "Identity server answers"
      stat    = "Sum"
      metrics = [for answer, name in local.identity_server_answers : concat([local._ns, name], local._fn, [{ label = answer }])]
    },
    {
      title = "Errors and throttles"
      stat  = "Sum"
      metrics = [
        concat([local._ns, local.metric_names.decisions], local._fn, [local.metric_dimensions.outcome, "error", { label = "error decisions (500)" }]),
        concat(["AWS/Lambda", "Errors"], local._lambda_fn, [{ label = "Lambda errors" }]),
        concat(["AWS/Lambda", "Throttles"], local._lambda_fn, [{ label = "Lambda throttles" }]),
      ]
    },
    {
      title = "Cold starts: secret reads"
      stat  = "SampleCount"
      metrics = [
        concat([local._ns, local.metric_names.secret_read_time], local._fn, [{ label = "secret reads (cold starts)" }]),
        concat([local._ns, local.metric_names.secret_read_time], local._fn, [{ stat = "Maximum", label = "slowest secret read (ms)", yAxis = "right" }]),
      ]
    },
    {
      title   = "Lambda duration (ms)"
      stat    = "p99"
      metrics = [for p in ["p50", "p99"] : concat(["AWS/Lambda", "Duration"], local._lambda_fn, [{ stat = p, label = p }])]
    },
  ]

  dashboard_body = {
    widgets = concat(
      [
        for index, widget in local._widgets : {
          type   = "metric"
          x      = (index % 3) * 8
          y      = floor(index / 3) * 6
          width  = 8
          height = 6
          properties = {
            title   = widget.title
            region  = local.dashboard_region
            view    = "timeSeries"
            stacked = false
            period  = local.alarms.period_seconds
            stat    = widget.stat
            metrics = widget.metrics
          }
        }
      ],
      [
        {
          type   = "log"
          x      = 8
          y      = 12
          width  = 16
          height = 6
          properties = {
            title  = "Cold starts: Init Duration (REPORT lines)"
            region = local.dashboard_region
            view   = "table"
            query  = "SOURCE '${module.function.log_group_name}' | filter @type = \"REPORT\" and ispresent(@initDuration) | stats count() as cold_starts, avg(@initDuration) as avg_init_ms, max(@initDuration) as max_init_ms by bin(1h)"
          }
        }
      ],
    )
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  count = local.alarms.dashboard_enabled ? 1 : 0

  dashboard_name = "${var.name}-authorizer"
  dashboard_body = jsonencode(local.dashboard_body)
}
