variable "cors_allowed_origin" {
  description = "`*` or the origin of a browser application (`https://app.example.com`: scheme, host, optional port) that may read these answers: adds `Access-Control-Allow-Origin` and exposes `WWW-Authenticate`. `null` (the default) adds no CORS header."
  type        = string
  default     = null

  validation {
    condition     = var.cors_allowed_origin == null || can(regex("^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)$", var.cors_allowed_origin))
    error_message = "cors_allowed_origin must be \"*\" or an origin such as https://app.example.com (scheme, host, optional port)."
  }
}

variable "rest_api_id" {
  description = "ID of the REST API whose `UNAUTHORIZED`, `ACCESS_DENIED` and `AUTHORIZER_FAILURE` responses this module manages (an API has one response of each type: manage them in one place)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9]+$", var.rest_api_id))
    error_message = "rest_api_id must be the ID of a REST API (letters and digits, e.g. aws_api_gateway_rest_api.this.id)."
  }
}
