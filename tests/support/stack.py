"""The whole phantom token flow on one machine, shared by ``make demo`` and tests/e2e.

``running_stack(work_dir)`` starts, in order, and stops in reverse (also on errors and Ctrl-C):

1. a moto server (the local AWS emulator);
2. the fake Curity identity server, with two clients: the authorizer's introspection client
   and an API client that gets tokens with client credentials;
3. the upstream echo API;
4. ``terraform apply`` of examples/complete against moto (destroyed on the way out), then the
   introspection client's secret put into the Secrets Manager secret the example created;
5. the gateway emulator serving the applied stage.

``running_http_stack(work_dir)`` does the same with examples/http-api (an HTTP API, payload
format 2.0) served by the HTTP API emulator (``tests.support.http_gateway``). Both are built
from the same pieces (``_services``, ``_applied_example``); run them one after the other, never
at once: moto's backends are process-wide.

``peer_stack(stack)`` points the deployed authorizer (its environment in moto, as an operator
would change it) at panva's oidc-provider in ``rfc9701`` mode and serves it with a second
gateway; the environment is restored afterwards.

A :class:`Stack` makes calls through the gateway and reports each as a :class:`Call`: status,
how often the Lambda ran, whether the cached policy answered, how often the identity server
was asked, and what the upstream received.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from tests.support import terraform
from tests.support.fake_curity import FakeCurity
from tests.support.gateway import Gateway, aws_client
from tests.support.http_gateway import HttpGateway
from tests.support.jwts import jwt_claims, verify_hs256, verify_rs256
from tests.support.moto_server import running_moto_server
from tests.support.oidc_peer import running_oidc_provider
from tests.support.upstream import UpstreamEcho

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_ZIP = REPO_ROOT / "lambda" / "dist" / "phantom-token-authorizer.zip"
# The backend of examples/complete's GET /whoami (an AWS_PROXY integration), committed build output.
WHOAMI_ZIP = REPO_ROOT / "examples" / "complete" / "whoami" / "whoami.zip"
EXAMPLE = "complete"
HTTP_API_EXAMPLE = "http-api"
API_CLIENT_ID = "demo-client"
API_CLIENT_SCOPES = "orders:read orders:write orders:admin profile:read"
INTROSPECTION_CLIENT_ID = "phantom-token-authorizer"
# Short enough that the revocation scenario waits only seconds for the cached policy to expire.
GATEWAY_TTL_SECONDS = 3
_HTTP_TIMEOUT_SECONDS = 30.0


def _basic(client_id: str, secret: str) -> str:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _client_credentials(token_endpoint: str, client_id: str, secret: str, scope: str | None) -> str:
    """Get an access token as a real client would: client_credentials at the token endpoint."""
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    response = requests.post(
        token_endpoint,
        data=form,
        headers={"Authorization": _basic(client_id, secret)},
        timeout=_HTTP_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _revoke(revocation_endpoint: str, client_id: str, secret: str, token: str) -> None:
    response = requests.post(
        revocation_endpoint,
        data={"token": token},
        headers={"Authorization": _basic(client_id, secret)},
        timeout=_HTTP_TIMEOUT_SECONDS,
    )
    response.raise_for_status()


@dataclass
class OAuthIdentity:
    """An identity server seen through its HTTP endpoints, as the client and the API see it."""

    name: str
    token_endpoint: str
    revocation_endpoint: str
    client_id: str
    client_secret: str

    def token(self, scope: str | None = None) -> str:
        return _client_credentials(self.token_endpoint, self.client_id, self.client_secret, scope)

    def revoke(self, token: str) -> None:
        _revoke(self.revocation_endpoint, self.client_id, self.client_secret, token)

    def introspections(self) -> int | None:
        return None  # oidc-provider keeps no count

    def claims(self, jwt: str) -> dict[str, Any]:
        # oidc-provider's RFC 9701 JWT carries the token's claims under token_introspection.
        return jwt_claims(jwt)

    def sensitive_values(self) -> list[str]:
        """The tokens and secrets no log may hold (none known for a plain OAuth server)."""
        return []


@dataclass
class CurityIdentity(OAuthIdentity):
    """The fake Curity: it counts introspections, and its JWTs verify with its key."""

    server: FakeCurity

    def introspections(self) -> int | None:
        return self.server.introspection_calls

    def claims(self, jwt: str) -> dict[str, Any]:
        return verify_hs256(jwt, self.server.signing_key)  # what the API would do

    def sensitive_values(self) -> list[str]:
        return self.server.sensitive_values()


@dataclass
class PeerIdentity(OAuthIdentity):
    """oidc-provider: introspections counted by its server script, RS256 JWTs checked against
    its JWKS as the API would, and every token it issued here remembered for the log checks."""

    jwks_uri: str
    introspections_url: str
    secrets: tuple[str, ...] = ()
    issued: list[str] = field(default_factory=list)

    def token(self, scope: str | None = None) -> str:
        token = super().token(scope)
        self.issued.append(token)
        return token

    def introspections(self) -> int | None:
        response = requests.get(self.introspections_url, timeout=_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        count: int = response.json()["introspections"]
        return count

    def claims(self, jwt: str) -> dict[str, Any]:
        keys = requests.get(self.jwks_uri, timeout=_HTTP_TIMEOUT_SECONDS).json()["keys"]
        return verify_rs256(jwt, keys)

    def sensitive_values(self) -> list[str]:
        return [*self.issued, *self.secrets]


@dataclass
class Call:
    """One request through the gateway, what happened to it and what was expected."""

    request: str
    credential: str
    status: int
    expected_status: int
    lambda_invocations: int
    cached_policy: bool
    introspections: int | None
    upstream: dict[str, Any] | None
    backend_invocations: int = 0  # runs of a Lambda backend (AWS_PROXY integration)
    backend_answer: Any = None  # the JSON a Lambda backend answered with
    seen_by_upstream: str = "-"
    identity_note: str | None = None  # shown instead of the introspection count
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


@dataclass
class Stack:
    gateway: Gateway | HttpGateway
    identity: OAuthIdentity
    upstream: UpstreamEcho
    aws_endpoint_url: str
    region: str
    outputs: dict[str, Any]
    gateway_ttl_seconds: int
    lambda_zip: Path
    # Where the upstream finds "Bearer <JWT>": a REST API maps it into Authorization; an HTTP
    # API cannot (a reserved header for parameter mapping), so the JWT travels in its own header.
    jwt_header: str = "Authorization"
    request_id_header: str = "x-amzn-RequestId"  # HTTP APIs answer with apigw-requestid
    backend_zips: tuple[Path, ...] = ()  # the deployed Lambda backends' zips

    def call(
        self, method: str, path: str, authorization: str | None, credential: str, expected: int
    ) -> Call:
        headers = {} if authorization is None else {"Authorization": authorization}
        before = self.identity.introspections()
        response = requests.request(
            method,
            f"{self.gateway.invoke_url}{path}",
            headers=headers,
            timeout=_HTTP_TIMEOUT_SECONDS,
        )
        after = self.identity.introspections()
        record = self.gateway.record(response.headers[self.request_id_header])
        forwarded = record.outcome == "forwarded"
        lambda_backend = record.backend_invocations > 0
        upstream = response.json() if forwarded and not lambda_backend else None
        call = Call(
            request=f"{method} {path}",
            credential=credential,
            status=response.status_code,
            expected_status=expected,
            lambda_invocations=record.lambda_invocations,
            cached_policy=record.cached_policy,
            introspections=None if before is None or after is None else after - before,
            upstream=upstream,
            backend_invocations=record.backend_invocations,
            backend_answer=response.json() if forwarded and lambda_backend else None,
        )
        call.expect(
            response.status_code == expected, f"status {response.status_code}, expected {expected}"
        )
        if upstream is not None:
            call.seen_by_upstream = self.describe_upstream_authorization(call)
        return call

    def describe_upstream_authorization(self, call: Call) -> str:
        assert call.upstream is not None
        header = self.jwt_header
        value = call.upstream["headers"].get(header.lower(), "")
        scheme, _, jwt = value.partition(" ")
        if scheme != "Bearer" or jwt.count(".") != 2:
            call.problems.append(f"upstream {header} is not a Bearer JWT: {value[:24]!r}")
            return f"{header}: {value[:24]!r}"
        try:
            claims = self.identity.claims(jwt)
        except ValueError as error:
            call.problems.append(f"upstream JWT does not verify: {error}")
            return "Bearer <JWT that does not verify>"
        inner = claims.get("token_introspection", claims)
        shown = " ".join(
            f"{key}={inner[key] if isinstance(inner[key], str) else json.dumps(inner[key])}"
            for key in ("active", "sub", "client_id", "scope")
            if key in inner
        )
        prefix = "" if header == "Authorization" else f"{header}: "
        return f"{prefix}Bearer <JWT {shown}>"


def _declared_variables(workdir: Path) -> set[str]:
    text = "".join(path.read_text(encoding="utf-8") for path in workdir.glob("*.tf"))
    return set(re.findall(r'^\s*variable\s+"([^"]+)"', text, flags=re.MULTILINE))


def _region_of(outputs: dict[str, Any]) -> str:
    arn = str(outputs.get("client_secret_arn") or "")
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else "us-east-1"


def example_variables(
    declared: set[str],
    introspection_endpoint: str,
    backend_url: str,
    ttl: int,
    example: str = EXAMPLE,
    jwks_uri: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """The example's inputs for this run; True when the gateway cache TTL is one of them."""
    wanted: dict[str, Any] = {
        "introspection_endpoint": introspection_endpoint,
        "backend_url": backend_url,
        "client_id": INTROSPECTION_CLIENT_ID,
        "authorizer_cache_ttl_seconds": ttl,
        "jwks_uri": jwks_uri,
    }
    missing = {"introspection_endpoint", "backend_url"} - declared
    if missing:
        msg = f"examples/{example} does not declare {sorted(missing)}"
        raise RuntimeError(msg)
    variables = {
        name: value for name, value in wanted.items() if name in declared and value is not None
    }
    return variables, "authorizer_cache_ttl_seconds" in variables


@dataclass
class _Services:
    """What both stacks run besides Terraform and the gateway."""

    endpoint: str
    curity: FakeCurity
    introspection_secret: str
    identity: CurityIdentity
    upstream: UpstreamEcho


def _services(cleanup: ExitStack, progress: Callable[[str], None]) -> _Services:
    """moto, the fake Curity (with its two clients) and the upstream, stopped by ``cleanup``."""
    if not LAMBDA_ZIP.is_file():
        msg = f"{LAMBDA_ZIP.relative_to(REPO_ROOT)} is missing: run `make build`"
        raise FileNotFoundError(msg)
    progress("starting the local AWS emulator (moto)")
    endpoint = cleanup.enter_context(running_moto_server())
    curity = cleanup.enter_context(FakeCurity())
    introspection_client = curity.add_client(INTROSPECTION_CLIENT_ID)
    api_client = curity.add_client(API_CLIENT_ID, API_CLIENT_SCOPES)
    progress(f"fake Curity at {curity.url}")
    upstream = cleanup.enter_context(UpstreamEcho())
    progress(f"upstream echo API at {upstream.url}")
    identity = CurityIdentity(
        "fake Curity",
        curity.token_endpoint,
        curity.revocation_endpoint,
        api_client.client_id,
        api_client.secret,
        server=curity,
    )
    return _Services(endpoint, curity, introspection_client.secret, identity, upstream)


@dataclass
class _Applied:
    outputs: dict[str, Any]
    region: str
    lambda_zip: Path  # the copy Terraform deployed
    ttl_is_variable: bool
    backend_zips: tuple[Path, ...]  # the copies of the Lambda backends' zips it deployed


def _applied_example(
    cleanup: ExitStack,
    example: str,
    work_dir: Path,
    services: _Services,
    progress: Callable[[str], None],
) -> _Applied:
    """``terraform apply`` of the example against moto (destroyed by ``cleanup``), secret put."""
    if terraform.terraform_binary() is None:
        msg = "terraform is not installed (1.5 or newer)"
        raise RuntimeError(msg)
    tree = work_dir / "tree"
    workdir = terraform.copy_module_tree(example, tree)
    terraform.write_aws_override(workdir, services.endpoint)
    tf = terraform.TerraformWorkdir(workdir, terraform.terraform_env(work_dir))
    variables, ttl_is_variable = example_variables(
        _declared_variables(workdir),
        services.curity.introspection_endpoint,
        services.upstream.url,
        GATEWAY_TTL_SECONDS,
        example,
        jwks_uri=services.curity.jwks_uri,
    )
    progress(f"terraform init + apply examples/{example} against moto")
    tf.init()
    cleanup.callback(progress, f"terraform destroy examples/{example}: done")
    cleanup.callback(tf.destroy, variables)
    tf.apply(variables)
    outputs = tf.outputs()
    region = _region_of(outputs)
    aws_client("secretsmanager", services.endpoint, region).put_secret_value(
        SecretId=outputs["client_secret_arn"], SecretString=services.introspection_secret
    )
    # The copy is what Terraform deploys: the gateway runs (and checks) exactly that zip.
    lambda_zip = tree / LAMBDA_ZIP.relative_to(REPO_ROOT)
    whoami = tree / WHOAMI_ZIP.relative_to(REPO_ROOT)
    backend_zips = (whoami,) if example == EXAMPLE else ()
    return _Applied(outputs, region, lambda_zip, ttl_is_variable, backend_zips)


@contextmanager
def running_stack(
    work_dir: Path, progress: Callable[[str], None] = lambda _: None
) -> Iterator[Stack]:
    """Start everything (see the module docstring); stop it all on the way out."""
    with ExitStack() as cleanup:
        services = _services(cleanup, progress)
        applied = _applied_example(cleanup, EXAMPLE, work_dir, services, progress)
        outputs = applied.outputs
        gateway = Gateway(
            services.endpoint,
            outputs["rest_api_id"],
            outputs["stage_name"],
            applied.lambda_zip,
            region=applied.region,
            ttl_override_seconds=None if applied.ttl_is_variable else GATEWAY_TTL_SECONDS,
            backend_zips=applied.backend_zips,
        )
        cleanup.enter_context(gateway)
        progress(f"gateway emulator serving stage {outputs['stage_name']} at {gateway.invoke_url}")
        yield Stack(
            gateway=gateway,
            identity=services.identity,
            upstream=services.upstream,
            aws_endpoint_url=services.endpoint,
            region=applied.region,
            outputs=outputs,
            gateway_ttl_seconds=GATEWAY_TTL_SECONDS,
            lambda_zip=applied.lambda_zip,
            backend_zips=applied.backend_zips,
        )


@contextmanager
def running_http_stack(
    work_dir: Path, progress: Callable[[str], None] = lambda _: None
) -> Iterator[Stack]:
    """examples/http-api applied to moto, served by the HTTP API emulator; all stopped after."""
    with ExitStack() as cleanup:
        services = _services(cleanup, progress)
        applied = _applied_example(cleanup, HTTP_API_EXAMPLE, work_dir, services, progress)
        outputs = applied.outputs
        gateway = HttpGateway(
            services.endpoint,
            outputs["http_api_id"],
            outputs["stage_name"],
            applied.lambda_zip,
            region=applied.region,
            ttl_override_seconds=None if applied.ttl_is_variable else GATEWAY_TTL_SECONDS,
        )
        cleanup.enter_context(gateway)
        progress(f"HTTP API emulator serving stage {outputs['stage_name']} at {gateway.invoke_url}")
        yield Stack(
            gateway=gateway,
            identity=services.identity,
            upstream=services.upstream,
            aws_endpoint_url=services.endpoint,
            region=applied.region,
            outputs=outputs,
            gateway_ttl_seconds=GATEWAY_TTL_SECONDS,
            lambda_zip=applied.lambda_zip,
            jwt_header=str(outputs["jwt_header"]),
            request_id_header="apigw-requestid",
        )


def peer_clients(introspection_secret: str, api_secret: str) -> list[dict[str, Any]]:
    """oidc-provider's clients: the authorizer (same id as at Curity) and an API client."""
    return [
        {
            "client_id": INTROSPECTION_CLIENT_ID,
            "client_secret": introspection_secret,
            "grant_types": [],
            "response_types": [],
            "redirect_uris": [],
            "introspection_signed_response_alg": "RS256",
        },
        {
            "client_id": API_CLIENT_ID,
            "client_secret": api_secret,
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
            "scope": API_CLIENT_SCOPES,
        },
    ]


def deployed_environment(stack: Stack) -> dict[str, str]:
    """The deployed authorizer's environment variables, as moto holds them."""
    lambda_ = aws_client("lambda", stack.aws_endpoint_url, stack.region)
    name = stack.outputs["lambda_function_name"]
    variables: dict[str, str] = lambda_.get_function_configuration(FunctionName=name)[
        "Environment"
    ]["Variables"]
    return variables


@contextmanager
def gateway_with_environment(stack: Stack, changes: dict[str, str]) -> Iterator[Gateway]:
    """The deployed authorizer's environment changed in moto (as an operator would change it)
    and served by a gateway of its own, whose warm container reads it; restored afterwards."""
    lambda_ = aws_client("lambda", stack.aws_endpoint_url, stack.region)
    name = stack.outputs["lambda_function_name"]
    original = deployed_environment(stack)
    with ExitStack() as cleanup:
        lambda_.update_function_configuration(
            FunctionName=name, Environment={"Variables": original | changes}
        )
        cleanup.callback(
            lambda_.update_function_configuration,
            FunctionName=name,
            Environment={"Variables": original},
        )
        gateway = Gateway(
            stack.aws_endpoint_url,
            stack.outputs["rest_api_id"],
            stack.outputs["stage_name"],
            stack.lambda_zip,
            region=stack.region,
            ttl_override_seconds=stack.gateway.ttl_override_seconds,
            backend_zips=stack.backend_zips,
        )
        yield cleanup.enter_context(gateway)


@contextmanager
def peer_stack(stack: Stack) -> Iterator[Stack]:
    """The deployed authorizer switched to oidc-provider in ``rfc9701`` mode (then restored)."""
    secrets_ = aws_client("secretsmanager", stack.aws_endpoint_url, stack.region)
    # The same introspection client secret at both servers: the secret in moto stays as it is.
    introspection_secret = secrets_.get_secret_value(SecretId=stack.outputs["client_secret_arn"])[
        "SecretString"
    ]
    api_secret = secrets.token_urlsafe(24)
    with ExitStack() as cleanup:
        peer = cleanup.enter_context(
            running_oidc_provider(peer_clients(introspection_secret, api_secret))
        )
        changes = {
            "INTROSPECTION_ENDPOINT": peer.introspection_endpoint,
            "INTROSPECTION_RESPONSE": "rfc9701",
        }
        gateway = cleanup.enter_context(gateway_with_environment(stack, changes))
        yield Stack(
            gateway=gateway,
            identity=PeerIdentity(
                "oidc-provider",
                peer.token_endpoint,
                peer.revocation_endpoint,
                API_CLIENT_ID,
                api_secret,
                jwks_uri=peer.jwks_uri,
                introspections_url=peer.introspections_url,
                secrets=(api_secret, introspection_secret),
            ),
            upstream=stack.upstream,
            aws_endpoint_url=stack.aws_endpoint_url,
            region=stack.region,
            outputs=stack.outputs,
            gateway_ttl_seconds=stack.gateway_ttl_seconds,
            lambda_zip=stack.lambda_zip,
            backend_zips=stack.backend_zips,
        )


def wait_past(seconds: float) -> None:
    """Sleep until a TTL of ``seconds`` started now has certainly run out."""
    time.sleep(seconds + 0.5)
