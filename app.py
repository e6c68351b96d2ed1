"""Gradio page over `qa.Assistant`: chat with cited sources and follow-up questions, a knowledge-base
tab, and an `/ask` API.

    python app.py [--index index] [--corpus corpus] [--host 127.0.0.1] [--port 7860] [--model NAME]
    qa serve --index index                      # the same page from the installed package

Builds the index from the corpus on first start, then serves the page until Ctrl+C. Host and port
default to Settings (QA_HOST, QA_PORT). Scripts get the same dict as `Answer.to_dict()`:

    gradio_client.Client("http://127.0.0.1:7860/").predict("何时启动送温暖行动", api_name="/ask")
    ...predict("那它什么时候结束？", 5, [first_answer_dict], api_name="/ask")   # a follow-up

The page itself lives in qa/web.py so that `qa serve` works from an installed package.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.errors import QAError
from qa.web import EXAMPLES, create_app, launch, open_assistant, serve  # noqa: F401  (the app's public names)

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Serve the qa page over an index (built from the corpus on first start).")
    p.add_argument("--index", default=str(HERE / "index"), help="index directory (default: index/ next to app.py)")
    p.add_argument("--corpus", default=str(HERE / "corpus"), help="corpus to build from when the index is missing")
    p.add_argument("--host", default=None, help="address to listen on (default: QA_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: QA_PORT or 7860)")
    p.add_argument("--model", default=None, help="encoder name (default: the index's own, or Settings.model)")
    args = p.parse_args(argv)
    try:
        serve(args.index, args.corpus, args.host, args.port, args.model)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
