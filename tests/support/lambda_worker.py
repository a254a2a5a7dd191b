"""A warm Lambda container for the gateway emulator: one process, many invocations.

Run as ``python -I lambda_worker.py CODE_DIR MODULE.FUNCTION FUNCTION_NAME MEMORY_MB``. It puts
CODE_DIR (the unpacked deployment zip) first on ``sys.path``, imports the handler once (the
cold start: module globals, caches and kept-alive connections then live as long as this
process), and answers one JSON line per JSON line on stdin::

    -> {"request_id": "...", "deadline_ms": <epoch ms>, "event": {...}}
    <- {"result": ...}  or  {"errorType": "...", "errorMessage": "..."}

The protocol uses the original stdout; the handler's own ``print`` and logging go to stderr,
as the Lambda runtime sends both to CloudWatch. The first line out is ``{"ready": true}`` or
an init error (which every invocation then reports, as Lambda does).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes of the Lambda context object that handlers use."""

    def __init__(self, request_id: str, deadline_ms: int, function_name: str, memory: str):
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory
        self.invoked_function_arn = os.environ.get("AWS_LAMBDA_FUNCTION_ARN", function_name)
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "gateway-emulator"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error: BaseException) -> dict[str, str]:
    return {"errorType": type(error).__name__, "errorMessage": str(error)}


def main(argv: list[str]) -> int:
    code_dir, handler_name, function_name, memory = argv[1:5]
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything the handler prints goes to the log stream, not the protocol
    sys.path[0] = code_dir  # -I put this script's directory there: the zip replaces it
    os.chdir(code_dir)
    # The Lambda runtime installs a handler on the root logger before importing user code.
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(sys.stderr))

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    module_name, _, function = handler_name.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function)
        init_error: dict[str, str] | None = None
        send({"ready": True})
    except Exception as error:
        traceback.print_exc()
        init_error = {"errorType": "Runtime.ImportModuleError", "errorMessage": str(error)}
        send({"ready": False, **init_error})

    for line in sys.stdin:
        request = json.loads(line)
        if init_error is not None:
            send(init_error)
            continue
        context = LambdaContext(
            request["request_id"], request["deadline_ms"], function_name, memory
        )
        try:
            result = handler(request["event"], context)
        except Exception as error:  # every handler error goes back to the gateway
            print(json.dumps(_error(error)))  # the runtime logs it, as Lambda's does
            send(_error(error))
            continue
        try:
            send({"result": result})
        except (TypeError, ValueError) as error:  # a result Lambda could not serialize either
            send({"errorType": "Runtime.MarshalError", "errorMessage": str(error)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
