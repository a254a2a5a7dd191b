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

locals {
  create_role = var.iam.existing_role_arn == null
  role_arn    = local.create_role ? aws_iam_role.this[0].arn : var.iam.existing_role_arn
  role_name   = local.create_role ? aws_iam_role.this[0].name : regex("[^/]+$", var.iam.existing_role_arn)
}

resource "aws_iam_role" "this" {
  count = local.create_role ? 1 : 0

  # IAM is global: a fixed name would collide when the same configuration is applied in two
  # regions, so by default the name gets a unique suffix.
  name                 = var.iam.role_name
  name_prefix          = var.iam.role_name == null ? "${substr(var.name, 0, 37)}-" : null
  path                 = var.iam.role_path
  permissions_boundary = var.iam.permissions_boundary_arn
  description          = "Phantom token authorizer ${var.name}: its log group and its client secret, nothing else"
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
  count = local.create_role ? 1 : 0

  name   = var.name
  role   = aws_iam_role.this[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.policy_statements })
}
