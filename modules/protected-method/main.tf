locals {
  lambda_proxy = var.integration.type == "AWS_PROXY"

  # The authorizer's "Bearer <jwt>" becomes the upstream request's Authorization header. A
  # Lambda proxy integration maps nothing: the function reads it from its event,
  # requestContext.authorizer.<context_key> (the client's opaque token stays in the event's
  # headers.Authorization). https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
  jwt_header_mapping = local.lambda_proxy ? {} : {
    "integration.request.header.Authorization" = "context.authorizer.${var.authorizer.context_key}"
  }

  # The function named by the invoke ARN (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations);
  # regex() of a value unknown at plan is unknown, not an error.
  lambda_function_arn = local.lambda_proxy ? one(regex("/functions/(arn:[^/]+)/invocations$", var.integration.uri)) : null

  # A non-proxy integration answers nothing until a response is mapped: pass 200 through.
  _passthrough_responses = var.integration.type == "HTTP" ? { "200" = "" } : {}
}

resource "aws_api_gateway_method" "this" {
  #checkov:skip=CKV2_AWS_53:the authorizer validates the token; the body and parameters are the backend's to validate (HTTP_PROXY and AWS_PROXY pass them through)
  rest_api_id        = var.rest_api_id
  resource_id        = var.resource_id
  http_method        = var.http_method
  authorization      = "CUSTOM"
  authorizer_id      = var.authorizer.id
  request_parameters = var.request_parameters

  lifecycle {
    # Scopes are enforced per route key: a method on another resource than its key names would
    # get none of its scopes.
    precondition {
      condition     = var.path_check == null || try(var.path_check.actual == var.path_check.expected, false)
      error_message = "The method ${var.http_method} ${try(var.path_check.expected, "")} would be created on the resource ${try(var.path_check.actual, "")}: a route key must name its resource's path."
    }
  }
}

resource "aws_api_gateway_integration" "this" {
  rest_api_id = var.rest_api_id
  resource_id = var.resource_id
  http_method = aws_api_gateway_method.this.http_method
  type        = var.integration.type
  # Lambda is invoked with POST, whatever the client's method.
  integration_http_method = local.lambda_proxy ? "POST" : coalesce(var.integration.http_method, var.http_method)
  uri                     = var.integration.uri
  connection_type         = var.integration.connection_id == null ? "INTERNET" : "VPC_LINK"
  connection_id           = var.integration.connection_id
  timeout_milliseconds    = var.integration.timeout_milliseconds
  request_parameters      = local.lambda_proxy ? null : merge(var.integration.request_parameters, local.jwt_header_mapping)

  lifecycle {
    precondition {
      condition     = !local.lambda_proxy || (length(var.integration.request_parameters) == 0 && var.integration.connection_id == null && var.integration.http_method == null)
      error_message = "An AWS_PROXY (Lambda) integration takes uri and timeout_milliseconds only: API Gateway invokes the function with POST, over no VPC link, with the whole request in its event (no request_parameters)."
    }
  }
}

# The function's resource policy lets this API invoke it from this method only. The source
# ARN is the method's: <execution_arn>/<stage>/<METHOD>/<resource path>, any stage, ANY as
# "*", each path parameter as "*" (Lambda compares with StringLike).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
# (aws lambda add-permission ... --source-arn "arn:aws:execute-api:<region>:<account>:<api>/*/GET/helloworld")
resource "aws_lambda_permission" "this" {
  count = local.lambda_proxy ? 1 : 0

  statement_id  = "AllowApiGateway-${var.rest_api_id}-${var.resource_id}-${var.http_method}"
  action        = "lambda:InvokeFunction"
  function_name = local.lambda_function_arn
  principal     = "apigateway.amazonaws.com"
  source_arn = join("/", [
    try(var.lambda_permission.execution_arn, ""),
    "*",
    var.http_method == "ANY" ? "*" : var.http_method,
    replace(trimprefix(try(var.lambda_permission.resource_path, ""), "/"), "/\\{[^}]+\\}/", "*"),
  ])

  lifecycle {
    precondition {
      condition     = var.lambda_permission != null
      error_message = "An AWS_PROXY integration needs lambda_permission = { execution_arn, resource_path } for the function's permission."
    }
  }
}

resource "aws_api_gateway_method_response" "this" {
  for_each = local._passthrough_responses

  rest_api_id = var.rest_api_id
  resource_id = var.resource_id
  http_method = aws_api_gateway_method.this.http_method
  status_code = each.key
}

resource "aws_api_gateway_integration_response" "this" {
  for_each = local._passthrough_responses

  rest_api_id       = var.rest_api_id
  resource_id       = var.resource_id
  http_method       = aws_api_gateway_method.this.http_method
  status_code       = aws_api_gateway_method_response.this[each.key].status_code
  selection_pattern = each.value

  depends_on = [aws_api_gateway_integration.this]
}
