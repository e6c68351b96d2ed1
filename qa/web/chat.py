"""The chat tab's actions as plain Python: post a question, answer it in the conversation so far.

The conversation travels with the page (a `gr.State` per visitor) as the answers' dicts, so a
follow-up such as 那它什么时候结束？ is resolved against them (qa/conversation.py).
"""
from __future__ import annotations

import logging

from ..errors import QAError
from ..render import as_text, render_answer, render_error, render_welcome

log = logging.getLogger(__name__)

# Turns kept as context: a follow-up leans on the last few, and the state stays small.
KEPT_TURNS = 6


class Chat:
    """Posting and answering questions over an Assistant; `messages` are gradio's chat messages."""

    def __init__(self, assistant):
        self.assistant = assistant

    def welcome(self) -> list[dict]:
        m = self.assistant.manifest
        return [{"role": "assistant", "content": render_welcome(m.documents, m.passages)}]

    def post(self, question: str | None, messages: list) -> tuple[str, list, str]:
        """Show the question at once: (cleared box, messages with the question, the question to answer)."""
        question = (question or "").strip()
        if not question:
            return "", messages, ""
        return "", [*messages, {"role": "user", "content": as_text(question)}], question

    def answer(self, question: str, messages: list, turns: list | None) -> tuple[list, list]:
        """Answer `question` in the conversation `turns`: (messages with the reply, turns with this one)."""
        if not question:
            return messages, turns or []
        try:
            a = self.assistant.ask(question, history=turns or None)
        except QAError as e:
            return [*messages, {"role": "assistant", "content": render_error(str(e))}], turns or []
        return [*messages, {"role": "assistant", "content": render_answer(a)}], [*(turns or []), a.to_dict()][-KEPT_TURNS:]
