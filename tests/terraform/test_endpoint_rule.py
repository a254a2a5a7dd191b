"""``introspection.endpoint``: every URL the module's validation admits, the Lambda accepts.

The validation in ``variables.tf`` (root and ``authorizer-function``) and the Lambda's
``parse_endpoint`` spell one rule twice. An endpoint that plans clean and that the Lambda
refuses fails every request with a 500, so the regular expression is read from the Terraform
files and checked against the Lambda, character by character. No ``terraform`` is needed.
"""

from __future__ import annotations

import re

import pytest

from phantom_token.config import parse_endpoint
from phantom_token.errors import ConfigError
from tests.support.terraform import REPO_ROOT

MODULES = (".", "modules/authorizer-function")
# can(regex("<pattern>", [try(]var.introspection.endpoint...
_VALIDATION = re.compile(r'can\(regex\("((?:[^"\\]|\\.)*)", (?:try\()?var\.introspection\.endpoint')
# Every ASCII character, and non-ASCII ones that look like ASCII or pass for a letter.
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
HOST = "https://login.example.com"


def endpoint_pattern(module: str) -> re.Pattern[str]:
    """The validation's pattern, its HCL string escapes undone (``\\\\`` is one backslash)."""
    text = (REPO_ROOT / module / "variables.tf").read_text(encoding="utf-8")
    [literal] = _VALIDATION.findall(text)
    return re.compile(re.sub(r"\\(.)", r"\1", literal))


def candidates(character: str) -> list[str]:
    return [
        f"{HOST}/oauth/v2/intro{character}spect",
        f"{HOST}/oauth?realm={character}",
        f"{HOST}{character}/introspect",
        f"http://127.0.0.1:8443/{character}",
        f"https://[::1]:8443/x{character}",
    ]


def test_the_root_and_the_submodule_validate_alike() -> None:
    assert endpoint_pattern(".").pattern == endpoint_pattern("modules/authorizer-function").pattern


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("character", CHARACTERS, ids=[f"U+{ord(c):04X}" for c in CHARACTERS])
def test_what_plans_clean_the_lambda_accepts(module: str, character: str) -> None:
    # GIVEN endpoints with this character in the path, the query or the host
    pattern = endpoint_pattern(module)
    for url in candidates(character):
        # WHEN the module's validation admits one
        if pattern.fullmatch(url) is None:
            continue
        # THEN the Lambda accepts it (it raises ConfigError otherwise)
        assert parse_endpoint(url).url == url


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize(
    "character", [c for c in CHARACTERS if not c.isascii()], ids=lambda c: f"U+{ord(c):04X}"
)
def test_a_non_ascii_endpoint_is_refused_by_both(module: str, character: str) -> None:
    # GIVEN an endpoint with a character no request line or Host header carries as written
    for url in candidates(character):
        # WHEN it is planned and when the Lambda reads it
        # THEN both refuse it
        assert endpoint_pattern(module).fullmatch(url) is None, url
        with pytest.raises(ConfigError):
            parse_endpoint(url)


def test_the_documented_endpoints_plan_and_load() -> None:
    # The rule is not so strict that the usual endpoints fail.
    pattern = endpoint_pattern(".")
    for url in [
        "https://login.example.com/oauth/v2/oauth-introspect",
        "https://login.example.com:8443/oauth/v2/oauth-introspect?realm=a&b=c",
        "https://login.example.com/%C3%B6/introspect",
        "http://localhost:8443/introspect",
        "http://127.0.0.1/introspect",
        "https://[2001:db8::1]/introspect",
    ]:
        assert pattern.fullmatch(url), url
        assert parse_endpoint(url).url == url
