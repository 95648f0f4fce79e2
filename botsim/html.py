"""Telegram-style HTML parse mode for the simulator.

This module owns the conversion of a ``parse_mode="HTML"`` message text into the plain text and
``MessageEntity`` list that Telegram stores, mirroring the hand-written state machine in tdlib
(``MessageEntity.cpp: parse_html``): the same tag whitelist, attribute syntax, entity decoding
(``&lt; &gt; &amp; &quot;`` and numeric references, the ``;`` being optional), the same error texts
with byte offsets into the UTF-8 source, and UTF-16 offsets/lengths for the produced entities. It
also owns the whitespace trimming Telegram applies to every text and the UTF-16 length used for the
4096/1024 limits. One deliberate strictness knob: a bare ``&`` that starts no entity is an error
here by default (Telegram itself keeps it literally); pass ``strict_ampersand=False`` for Telegram's
lenient behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["HtmlParseError", "parse_html", "trim_text", "utf16_len"]

_SPACE = frozenset(" \t\r\n\v\f\0")
_TRIM = " \t\r\n"
_ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
        "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is Telegram's reason text."""


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    out_start: int
    language: str = ""
    children: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit Telegram uses for limits and offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at ``text[pos] == '&'`` like tdlib's ``decode_html_entity``."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        hexadecimal = end < n and text[end] == "x"
        if hexadecimal:
            end += 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < n and text[end] in digits:
            value = value * (16 if hexadecimal else 10) + int(text[end], 16)
            end += 1
            if value >= 0x10FFFF:
                return None
        if value == 0 or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        decoded = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        decoded_named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if decoded_named is None:
            return None
        decoded = decoded_named
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


def _is_valid_url(url: str) -> bool:
    if not url or any(ch in _SPACE for ch in url):
        return False
    lowered = url.lower()
    if "://" in lowered:
        return lowered.split("://", 1)[0] in {"http", "https", "tg", "ton", "tonsite"}
    return lowered.startswith("tg:") or "." in lowered


def _entity_for(tag: _OpenTag, utf16_end: int, inner_text: str) -> dict[str, Any] | None:
    length = utf16_end - tag.utf16_start
    base: dict[str, Any] = {"offset": tag.utf16_start, "length": length}
    if tag.name in _SIMPLE_ENTITY:
        return {"type": _SIMPLE_ENTITY[tag.name], **base}
    if tag.name == "a":
        url = tag.argument or inner_text
        if url.startswith("tg://user?id="):
            return None  # text_mention needs a resolvable user; the simulator drops it
        return {"type": "text_link", **base, "url": url} if _is_valid_url(url) else None
    if tag.name == "pre":
        entity = {"type": "pre", **base}
        if tag.language:
            entity["language"] = tag.language
        return entity
    if tag.name == "blockquote":
        return {"type": "expandable_blockquote" if tag.argument else "blockquote", **base}
    if tag.name == "tg-emoji":
        return {"type": "custom_emoji", **base, "custom_emoji_id": tag.argument} if tag.argument else None
    return None


def _parse_attributes(text: str, i: int, tag_name: str, begin: int) -> tuple[str, int]:
    """Parse ``name=value`` pairs of a start tag; returns (tag argument, index of the closing '>')."""
    n = len(text)
    argument = ""
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag_name}" at byte offset {_byte_offset(text, begin)}')
        if text[i] == ">":
            return argument, i
        attr_begin = i
        while i < n and text[i] not in _SPACE and text[i] not in "=>":
            i += 1
        attr_name = text[attr_begin:i].lower()
        if not attr_name:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag_name}" at byte offset {_byte_offset(text, begin)}'
            )
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n or text[i] != "=":
            if tag_name == "blockquote" and attr_name == "expandable":
                argument = "1"  # boolean attribute, as browsers write it
                continue
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag_name}" '
                f"at byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag_name}" at byte offset {_byte_offset(text, begin)}')
        if text[i] in "'\"":
            quote = text[i]
            i += 1
            chars: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&" and (decoded := _decode_entity(text, i)) is not None:
                    chars.append(decoded[0])
                    i = decoded[1]
                    continue
                chars.append(text[i])
                i += 1
            if i < n:
                i += 1
            value = "".join(chars)
        else:
            token_begin = i
            while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                i += 1
            value = text[token_begin:i].lower()
            if i < n and text[i] not in _SPACE and text[i] != ">":
                raise HtmlParseError(f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}")
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if tag_name == "a" and attr_name == "href":
            argument = value
        elif tag_name == "code" and attr_name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag_name == "span" and attr_name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag_name == "tg-emoji" and attr_name == "emoji-id":
            argument = value
        elif tag_name == "blockquote" and attr_name == "expandable":
            argument = "1"


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into ``(plain_text, entities)``; raises :class:`HtmlParseError`.

    The result is *not* trimmed; combine with :func:`trim_text` as the Bot API does.
    """
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += _units(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f'Unescaped "&" that does not start an HTML entity at byte offset {_byte_offset(text, i)}'
                )
        if ch != "<":
            out.append(ch)
            utf16 += _units(ch)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            i += 1
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            name_begin = i
            while i < n and text[i] not in _SPACE and text[i] != ">":
                i += 1
            end_name = text[name_begin:i].lower()
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n or text[i] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            if utf16 <= tag.utf16_start:
                continue
            parent = stack[-1] if stack else None
            if (
                tag.name == "code"
                and tag.argument
                and parent is not None
                and parent.name == "pre"
                and parent.utf16_start == tag.utf16_start
            ):
                parent.language = tag.argument  # <pre><code class="language-x"> → pre with language
                continue
            entity = _entity_for(tag, utf16, "".join(out[tag.out_start :]))
            if entity is not None:
                entities.append(entity)
            continue
        name_begin = i
        while i < n and text[i] not in _SPACE and text[i] != ">":
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag_name = text[name_begin:i].lower()
        if tag_name not in _ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag_name}" at byte offset {_byte_offset(text, begin)}')
        argument, i = _parse_attributes(text, i, tag_name, begin)
        i += 1  # skip '>'
        if tag_name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}')
        stack.append(_OpenTag(tag_name, argument, utf16, len(out)))
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def trim_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace like Telegram, shifting and clipping entities to match."""
    stripped_left = text.lstrip(_TRIM)
    result = stripped_left.rstrip(_TRIM)
    shift = utf16_len(text[: len(text) - len(stripped_left)])
    total = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed
