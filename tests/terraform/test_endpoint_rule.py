"""``introspection.endpoint``: every URL the module's validation admits, the Lambda accepts.

The validation in ``variables.tf`` (root and ``authorizer-function``) and the Lambda's
``parse_endpoint`` spell one rule twice. An endpoint that plans clean and that the Lambda
refuses fails every request with a 500. The validation's condition is read from each
``variables.tf`` and evaluated by ``terraform console`` (one call per module, no provider) for
URLs with every ASCII character and some non-ASCII ones in the path, the query and the host,
and for bracketed IPv6 hosts; the Lambda reads the same URLs.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from phantom_token.config import parse_endpoint
from phantom_token.errors import ConfigError
from tests.support.terraform import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.plan

MODULES = (".", "modules/authorizer-function")
# Multi-line validation conditions; introspection.endpoint's is the one that reads cidrhost.
_CONDITION = re.compile(r"\n    condition = (alltrue\(\[\n(?:      [^\n]*\n)+    \]\))\n")
HOST = "https://login.example.com"
# Every ASCII character, and non-ASCII ones that look like ASCII or pass for a letter or digit.
CHARACTERS = [chr(code) for code in range(0x80)] + [
    "\u00a0",  # no-break space
    "\u00e9",
    "\u00f6",
    "\u20ac",
    "\u0661",  # Arabic-Indic digit one
    "\u200b",  # zero-width space
    "\uff0f",  # full-width solidus
    "\U0001f600",
]
IPV6_HOSTS = [
    "::1",
    "::",
    "2001:db8::1",
    "FE80::1",
    "0:0:0:0:0:0:0:1",
    "1:2:3:4:5:6:7:8",
    "1:2",
    ":::",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "::1.2.3.4",
    "::ffff:1.2.3.4",
    "::01.2.3.4",
    "1.2.3.4",
    ".",
]
DOCUMENTED = [
    "https://login.example.com/oauth/v2/oauth-introspect",
    "https://login.example.com:8443/oauth/v2/oauth-introspect?realm=a&b=c",
    "https://login.example.com/%C3%B6/introspect",
    "http://localhost:8443/introspect",
    "http://127.0.0.1/introspect",
    "http://[::1]:8443/introspect",
    "https://[2001:db8::1]/introspect",
]


def with_character(character: str) -> list[str]:
    return [
        f"{HOST}/oauth/v2/intro{character}spect",
        f"{HOST}/oauth?realm={character}",
        f"{HOST}{character}/introspect",
        f"http://127.0.0.1:8443/{character}",
        f"https://[::1]:8443/x{character}",
    ]


URLS = [
    *(url for character in CHARACTERS for url in with_character(character)),
    *(f"https://[{host}]:8443/introspect" for host in IPV6_HOSTS),
    *DOCUMENTED,
]


def lambda_accepts(url: str) -> bool:
    try:
        parse_endpoint(url)
    except ConfigError:
        return False
    return True


def condition_of(module: str) -> str:
    """The validation's condition as one line, for ``url`` instead of the variable."""
    text = (REPO_ROOT / module / "variables.tf").read_text(encoding="utf-8")
    [condition] = [found for found in _CONDITION.findall(text) if "cidrhost" in found]
    return re.sub(r"\n\s*", " ", condition).replace("var.introspection.endpoint", "url")


@pytest.fixture(scope="module")
def plans_clean(
    terraform_bin: str, tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, bool]]:
    """Module -> URL -> whether the module's validation admits it."""
    verdicts = {}
    for module in MODULES:
        workdir: Path = tmp_path_factory.mktemp("endpoint-rule")
        (workdir / "urls.json").write_text(json.dumps(URLS), encoding="utf-8")
        (workdir / "main.tf").write_text(
            'locals {\n  urls = jsondecode(file("${path.module}/urls.json"))\n}\n',
            encoding="utf-8",
        )
        expression = f"jsonencode([for url in local.urls : {condition_of(module)}])"
        result = subprocess.run(
            [terraform_bin, "console"],
            input=expression + "\n",
            cwd=workdir,
            env=tf_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        # console prints the JSON as an HCL string: "[true,false,...]"
        admitted = json.loads(json.loads(result.stdout.strip()))
        verdicts[module] = dict(zip(URLS, admitted, strict=True))
    return verdicts


def test_the_root_and_the_submodule_validate_alike(
    plans_clean: dict[str, dict[str, bool]],
) -> None:
    assert plans_clean["."] == plans_clean["modules/authorizer-function"]


@pytest.mark.parametrize("module", MODULES)
def test_what_plans_clean_the_lambda_accepts(
    plans_clean: dict[str, dict[str, bool]], module: str
) -> None:
    # GIVEN the URLs the module's validation admits
    admitted = [url for url, ok in plans_clean[module].items() if ok]
    # WHEN the Lambda reads them THEN it accepts every one (else: a 500 on every request)
    assert admitted
    assert [url for url in admitted if not lambda_accepts(url)] == []


@pytest.mark.parametrize("module", MODULES)
def test_a_non_ascii_endpoint_is_refused_by_both(
    plans_clean: dict[str, dict[str, bool]], module: str
) -> None:
    # GIVEN URLs with a character no request line or Host header carries as written
    non_ascii = [url for url in URLS if not url.isascii()]
    # WHEN they are planned and when the Lambda reads them THEN both refuse every one
    assert [url for url in non_ascii if plans_clean[module][url]] == []
    assert [url for url in non_ascii if lambda_accepts(url)] == []


@pytest.mark.parametrize("host", IPV6_HOSTS)
def test_a_bracketed_host_is_an_ipv6_address_to_both_or_to_neither(
    plans_clean: dict[str, dict[str, bool]], host: str
) -> None:
    # GIVEN a bracketed host, an IPv6 address or not (an embedded IPv4 is refused by the module:
    # Terraform and Python disagree on leading zeros there)
    url = f"https://[{host}]:8443/introspect"
    # WHEN it is planned THEN the Lambda accepts it too
    if plans_clean["."][url]:
        assert lambda_accepts(url), url
    # AND what the Lambda refuses does not plan
    if not lambda_accepts(url):
        assert not plans_clean["."][url], url


def test_the_documented_endpoints_plan_and_load(plans_clean: dict[str, dict[str, bool]]) -> None:
    # The rule is not so strict that the usual endpoints fail.
    assert {
        url: plans_clean["."][url] and lambda_accepts(url) for url in DOCUMENTED
    } == dict.fromkeys(DOCUMENTED, True)
