"""Every regular expression the Lambda applies runs in linear time, whatever it is given.

The identity server's bytes (status line, header lines, media types, chunk sizes, a JWS
header's alg), an AWS error code, and the configuration (route keys, the metrics namespace, the
region) all meet a pattern.
One that backtracks exponentially holds the CPU past any deadline: a Lambda stuck in a regex
cannot be saved by the decision's deadline. Each audited pattern is timed on inputs made to
make it backtrack, at an eighth of the header cap and at the cap itself.

Timing on a shared machine is noisy, so the assertions are loose where that costs nothing: each
size is timed as the fastest of several interleaved runs; growth from n to 8n may be 4 times
what linear growth would give (quadratic growth gives 64 times, exponential never ends); and at
the cap a call must take less than 50 ms, where linear code needs about a millisecond and the
pattern this replaced took seconds at 61 characters.
"""

from __future__ import annotations

import ast
import importlib
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phantom_token import aws_client, config, introspection, jwt_claims
from phantom_token.errors import IntrospectionError
from phantom_token.introspection import (
    MAX_HEAD_BYTES,
    HttpResponse,
    ResponseReader,
    cache_directives,
    interpret,
    media_type,
    read_response,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from collections.abc import Callable

PACKAGE = Path(__file__).parents[2] / "lambda" / "phantom_token"
CAP = MAX_HEAD_BYTES
REPEATS = 7
GROWTH_FACTOR = 4 * 8  # four times linear growth from n to 8n; quadratic is 64
SLACK_SECONDS = 0.001  # timer and scheduling noise on calls that take microseconds
CAP_SECONDS = 0.05
ERROR_CODE = r"[A-Za-z0-9._-]{1,100}"  # aws_client.error_code, applied inline


def pump(prefix: Any, unit: Any, suffix: Any) -> Callable[[int], Any]:
    """Inputs of about ``length`` characters: ``prefix``, ``unit`` repeated, ``suffix``."""

    def make(length: int) -> Any:
        return prefix + unit * max(1, (length - len(prefix) - len(suffix)) // len(unit)) + suffix

    return make


def fullmatch(pattern: re.Pattern[Any]) -> Callable[[Any], object]:
    return pattern.fullmatch


def match(pattern: re.Pattern[Any]) -> Callable[[Any], object]:
    return pattern.match


# (unit, suffix) after a partition's prefix ("cn-", "us-gov-", ...): \w+ backtracks over every
# character before "-" and \d+ fail.
PARTITION_INPUTS = [("a", "-1!"), ("a-", "1"), ("1", "-x")]

# (what is timed, how it is applied, inputs of a given length that make it work hardest)
AUDITED: dict[str, tuple[re.Pattern[Any] | None, Callable[[Any], object], list[Any]]] = {
    "introspection._STATUS_LINE": (
        introspection._STATUS_LINE,
        fullmatch(introspection._STATUS_LINE),
        [pump("HTTP/1.1 200 ", " ", "\x00"), pump("HTTP/1.1 200 ", "a\t", "\r")],
    ),
    "introspection._FIELD_LINE": (
        introspection._FIELD_LINE,
        fullmatch(introspection._FIELD_LINE),
        [pump("", "a", "\x00"), pump("a:", " \t", "\x00"), pump("!", "!:", "\n")],
    ),
    "introspection._CHUNK_SIZE": (
        introspection._CHUNK_SIZE,
        fullmatch(introspection._CHUNK_SIZE),
        [pump(b"f", b" \t", b"\x00"), pump(b"1", b";", b"\x00"), pump(b"", b"0", b"")],
    ),
    "introspection._MEDIA_RANGE": (
        introspection._MEDIA_RANGE,
        match(introspection._MEDIA_RANGE),
        [pump(" \t", "a", " "), pump("", " \t", "a/b"), pump("a/", "b", " ")],
    ),
    "introspection._MEDIA_PARAMETER": (
        introspection._MEDIA_PARAMETER,
        match(introspection._MEDIA_PARAMETER),
        [pump(';x="', "\\a", ""), pump("", "; ;", "x"), pump(";", "a", "="), pump(";a=", "b", '"')],
    ),
    "introspection.media_type": (
        None,
        media_type,
        [
            pump("application/jwt", " ;", " x"),  # the input the nested pattern choked on
            pump("application/jwt", "\t;\t", ","),
            pump("application/jwt", "; a=b", " x"),
            pump("application/jwt", ';x="\\";', "x"),
            pump("application/jwt; x=", '"', ""),
        ],
    ),
    # Applied to a JWS header's alg only once it is at most 32 characters: timed unbounded.
    "jwt_claims._ALG": (
        jwt_claims._ALG,
        fullmatch(jwt_claims._ALG),
        [pump("a", "-a", "-"), pump("A", "0", "!"), pump("a", "-0a", "--"), pump("", "a-", "")],
    ),
    "config._RESOURCE_PATH": (
        config._RESOURCE_PATH,
        fullmatch(config._RESOURCE_PATH),
        [
            pump("", "/a", "!"),
            pump("", "/{a}", "/"),
            pump("/", "a", "/"),
            pump("/{", "a", ""),
            pump("", "/{a}", "+}"),
        ],
    ),
    "config._METRICS_NAMESPACE": (
        config._METRICS_NAMESPACE,
        fullmatch(config._METRICS_NAMESPACE),
        [pump("", " ", ""), pump("", "A", "!"), pump("", "AWS/", "")],
    ),
    "aws_client._REGION": (
        aws_client._REGION,
        fullmatch(aws_client._REGION),
        [pump("", "a-", "-"), pump("", "a", "!"), pump("", "a-", "A")],
    ),
    **{
        f"aws_client._PARTITIONS[{index}]": (
            pattern,
            fullmatch(pattern),
            [pump(pattern.pattern.split("\\w")[0], *unit) for unit in PARTITION_INPUTS],
        )
        for index, (pattern, _) in enumerate(aws_client._PARTITIONS)
    },
    "aws_client.error_code": (
        re.compile(ERROR_CODE),
        fullmatch(re.compile(ERROR_CODE)),
        [pump("", "a", "!"), pump("", "-", ":")],
    ),
}


# ----- every pattern is audited -----------------------------------------------------------


def _patterns_in(value: object) -> list[re.Pattern[Any]]:
    if isinstance(value, re.Pattern):
        return [value]
    if isinstance(value, tuple | list):
        return [found for item in value for found in _patterns_in(item)]
    return []


def _regex_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
    ]


def test_every_regex_the_lambda_applies_is_audited() -> None:
    # GIVEN every call into re in the Lambda package, and the patterns the package holds
    audited = {(p.pattern, p.flags) for p, _, _ in AUDITED.values() if p is not None}
    found: set[tuple[Any, int]] = set()
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not any(
            isinstance(node, ast.ImportFrom) and node.module == "re" for node in ast.walk(tree)
        ), f"{path.name}: use re.<function>, so that this audit sees every pattern"
        calls = _regex_calls(tree)
        module = importlib.import_module(f"phantom_token.{path.stem}")
        held = [p for value in vars(module).values() for p in _patterns_in(value)]
        inline = []
        for call in calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr == "compile":
                continue
            [argument, *_] = call.args
            assert isinstance(argument, ast.Constant), f"{path.name}: a pattern built at run time"
            inline.append(re.compile(argument.value))
        # WHEN the patterns held at module level and those written inline are counted
        # THEN every call is accounted for (no pattern compiled inside a function escapes) ...
        assert len(calls) == len(held) + len(inline), (
            f"{path.name}: {len(calls)} calls into re, {len(held) + len(inline)} patterns found; "
            "compile patterns at module level"
        )
        found |= {(p.pattern, p.flags) for p in [*held, *inline]}
    # ... and each pattern has adversarial inputs in AUDITED (add new ones there)
    assert found - audited == set()
    assert audited - found == set()


# ----- linear growth, and a bound at the header cap -----------------------------------------


def _fastest(apply: Callable[[Any], object], value: Any, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        apply(value)
        best = min(best, time.perf_counter() - started)
    return best


def _fastest_pair(apply: Callable[[Any], object], small: Any, large: Any) -> tuple[float, float]:
    """The fastest of REPEATS runs at each size, interleaved so a busy moment hits both."""
    best_small = best_large = float("inf")
    for _ in range(REPEATS):
        best_small = min(best_small, _fastest(apply, small, 1))
        best_large = min(best_large, _fastest(apply, large, 1))
    return best_small, best_large


CASES = [
    pytest.param(name, index, id=f"{name}-{index}")
    for name, (_, _, inputs) in AUDITED.items()
    for index in range(len(inputs))
]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_each_regex_grows_linearly_and_ends_fast_at_the_header_cap(name: str, index: int) -> None:
    # GIVEN an audited pattern and an input family made to make it backtrack
    _, apply, inputs = AUDITED[name]
    make = inputs[index]
    # WHEN it is applied at 64 characters, then at twice as many each time up to the cap
    # THEN no call takes longer than the bound (a backtracking pattern fails here within
    # seconds, near 60 characters, instead of running for ever at the larger sizes) ...
    length = 64
    while length <= CAP:
        seconds = _fastest(apply, make(length))
        assert seconds < CAP_SECONDS, f"{name}: {seconds * 1e3:.1f} ms at {length} characters"
        length *= 2
    # ... and eight times the input costs about eight times the time, not 64 or 2**n times
    small, large = make(CAP // 8), make(CAP)
    assert len(large) <= CAP
    small_seconds, large_seconds = _fastest_pair(apply, small, large)
    assert large_seconds <= GROWTH_FACTOR * small_seconds + SLACK_SECONDS, (
        f"{name}: {small_seconds * 1e3:.3f} ms at {len(small)}, "
        f"{large_seconds * 1e3:.3f} ms at {len(large)}"
    )


def test_the_hostile_content_type_reads_as_no_media_type_at_every_length() -> None:
    # GIVEN the Content-Type that held the CPU for seconds at 61 characters, at every length
    # from there to the header cap
    for length in (61, 62, 100, 1000, CAP // 8, CAP):
        value = pump("application/jwt", " ;", " x")(length)
        # WHEN its media type is read
        started = time.perf_counter()
        result = media_type(value)
        elapsed = time.perf_counter() - started
        # THEN it is malformed (a parameter with no "="), and that is known at once
        assert result is None
        assert elapsed < CAP_SECONDS, f"{elapsed * 1e3:.1f} ms at {len(value)} characters"


# ----- the same language as the single pattern it replaces --------------------------------

_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
# The former pattern, exponential on "a/b ; ; ; ... x": safe here on 12 characters at most.
BACKTRACKING_MEDIA_TYPE = re.compile(
    rf"[ \t]*({_TCHARS}/{_TCHARS})(?:[ \t]*;[ \t]*(?:{_TCHARS}=(?:{_TCHARS}|{_QUOTED}))?)*[ \t]*"
)


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(alphabet=' \t;=",\\/aZ0-+.\x7f\x80', max_size=12).map(lambda t: "a/b" + t)
    | st.text(alphabet=' \t;=",\\/aZ0', max_size=12)
)
def test_media_type_reads_what_the_single_pattern_read(value: str) -> None:
    # GIVEN a short Content-Type value made of the characters the grammar hinges on
    # WHEN its media type is read piece by piece, and by the former single pattern
    former = BACKTRACKING_MEDIA_TYPE.fullmatch(value)
    # THEN both agree: the same values are media types, with the same type/subtype
    assert media_type(value) == (former[1].lower() if former else None)


# ----- the whole reader against hostile header values up to the cap ------------------------


class Replay:
    """A connection that hands out these bytes, then the server's close."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def settimeout(self, timeout: float) -> None:
        pass

    def recv(self, size: int) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


HEADER_NAMES = [
    "Content-Type",
    "Cache-Control",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Retry-After",
    "X-Other",
]
# The characters the grammars hinge on: separators, quotes, escapes, token characters, obs-text.
HOSTILE = ' \t;=",\\/:aZ09-+.()\x80\xff'
STARTS = ["", "application/jwt", "a/b", "max-age=1", "no-store", "chunked", "close", "1", '"']


@st.composite
def hostile_values(draw: st.DrawFn, room: int) -> str:
    """A value of up to ``room`` characters: a start, a short motif pumped, an ending."""
    start = draw(st.sampled_from(STARTS))
    motif = draw(st.text(alphabet=HOSTILE, min_size=1, max_size=8))
    most = room // len(motif)
    count = draw(st.just(most) | st.integers(0, most))  # half of them fill the room
    end = draw(st.text(alphabet=HOSTILE, max_size=3))
    return (start + motif * count + end)[:room]


@st.composite
def hostile_responses(draw: st.DrawFn) -> bytes:
    """A 200 with one hostile header line (or reason phrase, or chunk line) filling the head."""
    name = draw(st.sampled_from([*HEADER_NAMES, "reason phrase", "chunk line"]))
    body = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
    if name == "reason phrase":
        template = f"HTTP/1.1 200 {{}}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    elif name == "chunk line":
        template = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}\r\n"
    elif name in ("Content-Length", "Transfer-Encoding"):
        template = f"HTTP/1.1 200 OK\r\n{name}: {{}}\r\n\r\n{body}"
    else:
        template = f"HTTP/1.1 200 OK\r\n{name}: {{}}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    # The head (or the chunk line) holds at most CAP bytes.
    room = CAP - len(template.format("").split("\r\n\r\n")[0]) - 4
    return template.format(draw(hostile_values(room))).encode("latin-1")


def _read_and_interpret(data: bytes) -> None:
    reader = ResponseReader(Replay(data), time.monotonic() + 60)  # type: ignore[arg-type]
    try:
        response, _ = read_response(reader)
        cache_directives(response.headers)
        retry_after_seconds(response.headers.get("retry-after"))
        interpret(response, "jwt", time.time())
    except (IntrospectionError, ConnectionError):
        pass  # refused, as it should be: what matters here is how soon


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_responses())
def test_the_reader_ends_fast_on_any_hostile_header_up_to_the_cap(data: bytes) -> None:
    # GIVEN an answer whose head, up to the cap, holds one value made to make a pattern
    # backtrack (a header, the reason phrase, or a chunk-size line)
    assert len(data.split(b"\r\n\r\n")[0]) + 4 <= CAP
    # WHEN the whole reader reads it and the answer is interpreted
    # THEN it is over within the bound (the fastest of three, should the machine be busy)
    fastest = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        _read_and_interpret(data)
        fastest = min(fastest, time.perf_counter() - started)
        if fastest < CAP_SECONDS:
            break
    assert fastest < CAP_SECONDS


def test_replay_feeds_the_reader_like_a_connection() -> None:
    # GIVEN an honest answer replayed
    data = b"HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\nContent-Length: 3\r\n\r\nabc"
    reader = ResponseReader(Replay(data), time.monotonic() + 60)  # type: ignore[arg-type]
    # WHEN it is read
    # THEN the fuzz test above reads what a socket would have delivered
    assert read_response(reader) == (
        HttpResponse(200, {"content-type": "application/jwt", "content-length": "3"}, b"abc"),
        False,
    )
