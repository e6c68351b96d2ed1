"""`POST /api/ask`: the answer as plain JSON, on the page's own server, beside Gradio's queued `/ask`.

    curl -s localhost:7860/api/ask -H 'content-type: application/json' -d '{"question": "何时启动送温暖行动", "k": 3}'

The reply is `Answer.to_dict()`; a question that cannot be answered as asked (empty, too long, a
bad `k`) gets status 400 and `{"error": "<one line>"}`. Gradio's `/ask` passes every call through
its event queue and a server-sent-event stream; this route is one request and one response, which
is what lets the server hold 30 concurrent callers (figures in the README, `python -m bench.load`).
"""
from __future__ import annotations

import json
import logging

from .errors import QAError

log = logging.getLogger(__name__)

# Questions computed at once. More only interleave on 2 cores (each answer is CPU work, mostly
# under the GIL) and make every caller wait longer; the rest wait in line, in arrival order.
CONCURRENT_ANSWERS = 2
USAGE = 'send a JSON object such as {"question": "何时启动送温暖行动", "k": 5} (and "history": [earlier answers] for a follow-up)'


def routes(assistant) -> list:
    """The Starlette routes to add to the page's app (`app_kwargs={"routes": routes(a)}`)."""
    import anyio
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    limiter: list = []  # made on first use, inside the server's event loop

    def reject(message: str) -> JSONResponse:
        log.warning("/api/ask rejected: %s", message)
        return JSONResponse({"error": message}, status_code=400)

    async def ask(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or not UTF-8
            return reject(f"the request body is not valid UTF-8 JSON: {USAGE}")
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            return reject(f'"question" must be a string: {USAGE}')
        history = data.get("history")
        if history is not None and not isinstance(history, list):
            return reject(f'"history" must be a list of earlier answers: {USAGE}')
        if not limiter:
            limiter.append(anyio.CapacityLimiter(CONCURRENT_ANSWERS))
        try:
            answer = await anyio.to_thread.run_sync(assistant.ask, data["question"], data.get("k"), history, limiter=limiter[0])
        except QAError as e:
            return reject(str(e))
        return JSONResponse(answer.to_dict())

    return [Route("/api/ask", ask, methods=["POST"])]
