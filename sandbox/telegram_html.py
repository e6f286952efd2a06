"""Telegram's HTML parse mode: turn marked-up text into plain text plus message entities.

Follows the rules of the Bot API ("Formatting options", HTML style) and the error wording of
tdlib's parser, so a bot that passes here passes on Telegram. One deliberate strictness: a bare
``&`` or an unsupported named entity is refused (Telegram shows it literally), because it almost
always means user text went out unescaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag name -> entity type; None marks tags whose type depends on attributes.
_TAG_TYPES: dict[str, str | None] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": None,
    "code": "code",
    "pre": "pre",
    "blockquote": None,
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});")
_TRIM = " \t\r\n\v\f"


class EntityParseError(ValueError):
    """The text cannot be parsed; the message is what follows "can't parse entities: "."""


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output text
    attrs: dict[str, str] = field(default_factory=dict)


_MARKUP = re.compile("[<&]")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    """Decode the entity at text[i] == '&'; return (character, index after it)."""
    match = _ENTITY_RE.match(text, i)
    if match is None:
        raise EntityParseError(
            f'Character "&" must be escaped as "&amp;" at byte offset {_byte_offset(text, i)}'
        )
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), match.end()
    elif body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], match.end()
    raise EntityParseError(
        f'Unsupported HTML entity "{match.group(0)}" at byte offset {_byte_offset(text, i)}'
    )


def _decode_attribute(value: str) -> str:
    """Attribute values may hold the same entities as text."""
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            char, i = _decode_entity(value, i)
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_start_tag(text: str, begin: int) -> tuple[_OpenTag, int]:
    """Parse `<name attr="v" ...>` starting at text[begin] == '<'; return the tag and end index."""
    n = len(text)
    i = begin + 1
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    name = text[begin + 1 : i].lower()
    if name not in _TAG_TYPES:
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
        )
    attrs: dict[str, str] = {}
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            break
        start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        attr = text[start:i].lower()
        if not attr:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            attrs[attr] = ""
            continue
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            raw, i = text[i + 1 : end], end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            raw = text[start:i]
        attrs[attr] = _decode_attribute(raw)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise EntityParseError(
            f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
            f"{_byte_offset(text, begin)}"
        )
    return _OpenTag(name, 0, attrs), i + 1


def _entity_for(tag: _OpenTag, end: int, inner_code_language: str | None) -> dict[str, Any] | None:
    """The entity a closed tag produces, or None (empty span, link without href)."""
    length = end - tag.start
    if length <= 0:
        return None
    kind = _TAG_TYPES[tag.name]
    entity: dict[str, Any] = {"offset": tag.start, "length": length}
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return None
        entity.update(type="text_link", url=href)
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    elif tag.name == "pre":
        entity["type"] = "pre"
        if inner_code_language:
            entity["language"] = inner_code_language
    elif tag.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=tag.attrs["emoji-id"])
    else:
        entity["type"] = kind
    return entity


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError on bad markup."""
    out: list[str] = []
    pos = 0  # UTF-16 length of the output so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    pre_language: dict[int, str] = {}  # id(pre tag) -> language of a <code class=...> inside
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
            pos += utf16_len(decoded)
            continue
        if char != "<":
            found = _MARKUP.search(text, i)  # a run of plain text, taken whole
            end = found.start() if found else n
            out.append(text[i:end])
            pos += utf16_len(text[i:end])
            i = end
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i + 2)
            if end < 0:
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            name = text[i + 2 : end].rstrip().lower()
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}"
                )
            if name != stack[-1].name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, expected "
                    f'"</{stack[-1].name}>", found "</{name}>"'
                )
            tag = stack.pop()
            if tag.name == "code" and stack and stack[-1].name == "pre":
                language = tag.attrs.get("class", "")
                if language.startswith("language-") and len(language) > len("language-"):
                    # Telegram folds <pre><code class="language-x"> into one pre entity.
                    pre_language[id(stack[-1])] = language[len("language-") :]
                    i = end + 1
                    continue
            entity = _entity_for(tag, pos, pre_language.pop(id(tag), None))
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue
        tag, i = _parse_start_tag(text, begin)
        tag.start = pos
        stack.append(tag)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace as Telegram does, keeping entities aligned."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    lead = len(text) - len(text.lstrip(_TRIM))  # whitespace is BMP: chars == UTF-16 units
    total = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
