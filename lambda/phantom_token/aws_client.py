"""The two AWS calls the authorizer makes, without an AWS SDK (issue 7).

``secretsmanager:GetSecretValue`` and ``ssm:GetParameter`` are JSON 1.1 calls: a signed POST
of a JSON body to the service's root, the operation in ``X-Amz-Target``. boto3 made a cold
start 3.6 to 4.4 times the plain-variable one (import, then building a client); this module
costs a few milliseconds and reuses the introspection transport (one kept-alive connection,
a deadline for each attempt as a whole).

Settings come from the Lambda environment, as an SDK would read them there: the credentials
Lambda sets (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``), the
region (the ARN's, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION``), ``AWS_USE_FIPS_ENDPOINT``
and the endpoint overrides ``AWS_ENDPOINT_URL_<SERVICE>`` / ``AWS_ENDPOINT_URL``, which
``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`` turns off.
"""

from __future__ import annotations

import json
import re
import time

from phantom_token.aws_sigv4 import Credentials, amz_date, signed_headers
from phantom_token.config import Endpoint, checked_url, endpoint_of
from phantom_token.errors import AuthorizerError
from phantom_token.introspection import MIN_ATTEMPT_SECONDS, HttpTransport, backoff_seconds

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, NamedTuple

    from phantom_token.introspection import HttpResponse, Transport
else:
    from phantom_token._records import NamedTuple

# Each attempt ends by the decision's deadline, and within this many seconds in any case.
ATTEMPT_TIMEOUT_SECONDS = 3.0
# Without a deadline (a caller outside a decision), the whole read ends within this.
DEFAULT_BUDGET_SECONDS = 5.0
JSON_11 = "application/x-amz-json-1.1"


class Service(NamedTuple):
    signing_name: str  # also the endpoint prefix
    target_prefix: str  # X-Amz-Target is "<prefix>.<Operation>"
    endpoint_variable: str


# The service-specific endpoint variable is AWS_ENDPOINT_URL_ + the service identifier in upper
# case, spaces as underscores ("Secrets Manager" -> SECRETS_MANAGER, "SSM" -> SSM); it wins over
# AWS_ENDPOINT_URL. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
# and https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html
SECRETS_MANAGER = Service("secretsmanager", "secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER")
SSM = Service("ssm", "AmazonSSM", "AWS_ENDPOINT_URL_SSM")

# Partitions by region name: botocore/data/partitions.json ("regionRegex", "dnsSuffix"); a
# region that matches none is in the aws partition (the SDKs' aws.partition rule does the
# same). Every partition supports FIPS there.
_PARTITIONS = (
    (re.compile(r"cn-\w+-\d+"), "amazonaws.com.cn"),
    (re.compile(r"us-gov-\w+-\d+"), "amazonaws.com"),
    (re.compile(r"us-iso-\w+-\d+"), "c2s.ic.gov"),
    (re.compile(r"us-isob-\w+-\d+"), "sc2s.sgov.gov"),
    (re.compile(r"eu-isoe-\w+-\d+"), "cloud.adc-e.uk"),
    (re.compile(r"us-isof-\w+-\d+"), "csp.hci.ic.gov"),
    (re.compile(r"eusc-de-\w+-\d+"), "amazonaws.eu"),
)
_REGION = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Worth one more attempt: the error codes botocore's standard retry mode treats as throttling
# (botocore/retries/standard.py, ThrottledRetryableChecker._THROTTLED_ERROR_CODES), and any 5xx.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)


class AwsCallError(AuthorizerError):
    """The call failed; ``code`` is AWS's error code, or what went wrong on the way."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def regional_host(service: Service, region: str, *, fips: bool) -> str:
    """The service's regional endpoint host, as the SDKs' endpoint rules resolve it.

    botocore/data/{secretsmanager,ssm}/*/endpoint-rule-set-1.json: ``<prefix>.<region>.<dns
    suffix of the partition>``, with FIPS ``<prefix>-fips.<region>.<suffix>``, except SSM in
    aws-us-gov, whose regular endpoints are FIPS endpoints (``ssm.<region>.amazonaws.com``).
    https://docs.aws.amazon.com/general/latest/gr/asm.html lists secretsmanager-fips hosts.
    """
    suffix = "amazonaws.com"
    partition_is_gov = False
    for pattern, dns_suffix in _PARTITIONS:
        if pattern.fullmatch(region):
            suffix = dns_suffix
            partition_is_gov = pattern.pattern.startswith("us-gov")
            break
    prefix = service.signing_name
    if fips and not (service is SSM and partition_is_gov):
        prefix += "-fips"
    return f"{prefix}.{region}.{suffix}"


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value not in ("", "true", "false"):
        raise AwsCallError(f"{name} must be true or false")
    return value == "true"


def ignores_configured_endpoints(environ: Mapping[str, str]) -> bool:
    """``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``, read exactly as botocore reads it.

    botocore (configprovider.py, ``ignore_configured_endpoint_urls``, ``utils.ensure_boolean``)
    takes the value as true when ``value.lower() == "true"``, nothing stripped; any other value
    leaves the endpoint overrides in force, here too. A stricter reading would send the signed
    request elsewhere than an SDK in the same environment would.
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
    """
    return environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"


def resolve_endpoint(service: Service, region: str, environ: Mapping[str, str]) -> Endpoint:
    """The override (``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL``) unless
    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true, else the regional endpoint."""
    fips = _flag(environ, "AWS_USE_FIPS_ENDPOINT")
    overrides: tuple[str, ...] = (service.endpoint_variable, "AWS_ENDPOINT_URL")
    if ignores_configured_endpoints(environ):
        overrides = ()
    for name in overrides:
        url = environ.get(name, "").strip()
        if url:
            if fips:
                # The endpoint rules refuse the pair ("FIPS and custom endpoint are not
                # supported"): a custom URL would silently drop the FIPS requirement.
                raise AwsCallError(f"{name} and AWS_USE_FIPS_ENDPOINT=true cannot be combined")
            return endpoint_from_url(url, name)
    host = regional_host(service, region, fips=fips)
    return Endpoint(f"https://{host}/", "https", host, 443, "/")


def endpoint_from_url(url: str, name: str) -> Endpoint:
    """An endpoint override: https, or http to a loopback host (local emulators in tests)."""
    parts = checked_url(url, name, AwsCallError)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise AwsCallError(f"{name} must be a scheme, a host and a port only")
    return endpoint_of(url, parts, "/")


def region_of(reference: str) -> str | None:
    """The region of an ARN (``arn:partition:service:region:account:...``)."""
    parts = reference.split(":")
    return parts[3] if reference.startswith("arn:") and len(parts) > 5 and parts[3] else None


def region_for(reference: str, environ: Mapping[str, str]) -> str:
    # A secret in another region is read there: the ARN's region comes first.
    region = (
        region_of(reference)
        or environ.get("AWS_REGION", "").strip()
        or environ.get("AWS_DEFAULT_REGION", "").strip()
    )
    if not region:
        raise AwsCallError("no region: AWS_REGION is not set")
    if not _REGION.fullmatch(region):
        raise AwsCallError("the region is not a region name")
    return region


def credentials_from(environ: Mapping[str, str]) -> Credentials:
    access_key = environ.get("AWS_ACCESS_KEY_ID", "").strip()
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY", "").strip()
    if not access_key or not secret_key:
        raise AwsCallError("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    return Credentials(access_key, secret_key, environ.get("AWS_SESSION_TOKEN", "").strip() or None)


def error_code(response: HttpResponse) -> str:
    """AWS's error code: ``x-amzn-ErrorType``, else the body's ``__type`` (botocore parsers.py,
    BaseJSONParser: the part before any ":" and after any "#"), else the HTTP status."""
    code = response.headers.get("x-amzn-errortype", "")
    if not code:
        try:
            document = json.loads(response.body)
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("__type"), str):
            code = document["__type"]
    code = code.split(":", 1)[0].rsplit("#", 1)[-1].strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", code):
        return f"HTTP {response.status}"
    return code


def _outcome(response: HttpResponse) -> tuple[dict[str, Any] | None, str]:
    """(the answer, "") for a 200; (None, the code) for an error worth one more attempt."""
    if response.status == 200:
        try:
            answer = json.loads(response.body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise AwsCallError("the answer is not a JSON object")
        return answer, ""
    code = error_code(response)
    if not (code in THROTTLING_CODES or response.status >= 500):
        raise AwsCallError(code)
    return None, code


_transports: dict[tuple[str, str, int], Transport] = {}


def _transport(endpoint: Endpoint) -> Transport:
    # One connection per endpoint for the container's life: a re-read after a rotation reuses
    # it if the service has not closed it meanwhile (the transport then reconnects once).
    key = (endpoint.scheme, endpoint.host, endpoint.port)
    transport = _transports.get(key)
    if transport is None:
        transport = _transports[key] = HttpTransport(endpoint)
    return transport


def call(
    service: Service,
    operation: str,
    payload: Mapping[str, Any],
    *,
    reference: str,
    environ: Mapping[str, str],
    deadline: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    transport_for: Callable[[Endpoint], Transport] = _transport,
) -> dict[str, Any]:
    """The operation's JSON answer, or AwsCallError with the error code.

    Throttling, 5xx, timeouts and connection failures get one more attempt after a jittered
    pause when the deadline (monotonic seconds) leaves time for it.
    """
    region = region_for(reference, environ)
    endpoint = resolve_endpoint(service, region, environ)
    credentials = credentials_from(environ)
    if deadline is None:
        deadline = monotonic() + DEFAULT_BUDGET_SECONDS
    body = json.dumps(payload).encode("ascii")
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    if endpoint.port != (443 if endpoint.scheme == "https" else 80):
        host = f"{host}:{endpoint.port}"
    headers = {
        "Content-Type": JSON_11,
        "X-Amz-Target": f"{service.target_prefix}.{operation}",
    }
    transport = transport_for(endpoint)
    problem, attempts = "no time left", 0
    for attempt in range(2):
        if attempt:
            pause = backoff_seconds(1)
            if pause + MIN_ATTEMPT_SECONDS > deadline - monotonic():
                break
            sleep(pause)
        remaining = deadline - monotonic()
        if remaining <= 0:
            break
        # Signed per attempt: the signature holds the time and AWS allows 5 minutes of skew.
        sent = signed_headers(
            host=host,
            path=endpoint.path,
            headers=headers,
            body=body,
            credentials=credentials,
            region=region,
            service=service.signing_name,
            timestamp=amz_date(wall_clock()),
        )
        attempts += 1
        try:
            response = transport.post(body, sent, min(ATTEMPT_TIMEOUT_SECONDS, remaining))
        except TimeoutError:
            problem = "timed out"
            continue
        except OSError as exc:
            problem = f"connection failed: {type(exc).__name__}"
            continue
        except AuthorizerError:
            # The transport's own checks (framing, size): its messages speak of introspection.
            raise AwsCallError("malformed response") from None
        answer, problem = _outcome(response)
        if answer is not None:
            return answer
    if attempts == 2:
        raise AwsCallError(f"{problem}, after 2 attempts")
    raise AwsCallError(f"{problem}, no time left to retry" if attempts else problem)
