locals {
  _secret_arn     = local._secret_in_ssm ? var.introspection.client_secret_parameter_arn : var.introspection.client_secret_arn
  _secret_service = local._secret_in_ssm ? "ssm" : "secretsmanager"

  _statements = {
    WriteOwnLogGroup = {
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
    }
    ReadClientSecret = {
      Effect   = "Allow"
      Action   = local._secret_in_ssm ? ["ssm:GetParameter"] : ["secretsmanager:GetSecretValue"]
      Resource = [local._secret_arn]
    }
    DecryptClientSecret = var.introspection.client_secret_kms_key_arn == null ? null : {
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [var.introspection.client_secret_kms_key_arn]
      Condition = {
        StringEquals = {
          "kms:ViaService" = "${local._secret_service}.${split(":", local._secret_arn)[3]}.amazonaws.com"
        }
      }
    }
    # X-Ray and VPC network interfaces have no resource-level permissions: AWS requires "*".
    WriteTraces = var.function.tracing_mode != "Active" ? null : {
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"]
    }
    ManageVpcNetworkInterfaces = var.function.vpc == null ? null : {
      Effect = "Allow"
      Action = [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:UnassignPrivateIpAddresses",
      ]
      Resource = ["*"]
    }
  }
  policy_statements = [
    for sid, statement in local._statements : merge({ Sid = sid }, statement) if statement != null
  ]
}

resource "aws_iam_role" "this" {
  name        = var.name
  description = "Phantom token authorizer ${var.name}: its log group and its client secret, nothing else"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.policy_statements })
}
