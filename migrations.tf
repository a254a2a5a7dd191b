# Moves of resource addresses between releases, so that upgrading plans no destroy and create.
# See the "Versioning" section of the README.

# The gateway responses moved into modules/gateway-responses (usable on its own, one per API).
moved {
  from = aws_api_gateway_gateway_response.this["UNAUTHORIZED"]
  to   = module.gateway_responses[0].aws_api_gateway_gateway_response.this["UNAUTHORIZED"]
}

moved {
  from = aws_api_gateway_gateway_response.this["ACCESS_DENIED"]
  to   = module.gateway_responses[0].aws_api_gateway_gateway_response.this["ACCESS_DENIED"]
}

moved {
  from = aws_api_gateway_gateway_response.this["AUTHORIZER_FAILURE"]
  to   = module.gateway_responses[0].aws_api_gateway_gateway_response.this["AUTHORIZER_FAILURE"]
}

# The REST API authorizer became optional (an HTTP API may be protected instead).
moved {
  from = module.authorizer
  to   = module.authorizer[0]
}
