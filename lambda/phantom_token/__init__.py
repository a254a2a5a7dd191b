"""Phantom token Lambda authorizer for AWS API Gateway REST APIs.

API Gateway calls :func:`phantom_token.handler.lambda_handler` with the client's opaque access
token; the authorizer introspects it at the identity server, receives a JWT (the phantom token)
and answers with an IAM policy whose context carries ``Bearer <jwt>`` for the upstream API.
"""
