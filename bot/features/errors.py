"""The one shape of a use case's refusal: an exception carrying a machine-readable `code`."""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """A refusal: `code` says why (handlers map it to a reply), `info` carries details.

    The message is `code`, or `code: detail` when a detail is given.
    """

    def __init__(self, code: str, detail: str = "", **info: Any) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.info = info
