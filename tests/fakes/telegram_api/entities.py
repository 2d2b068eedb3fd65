"""Text and entities: the HTML parser, entity detection and text trimming of the real server."""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.fakes.telegram_api.config import JSON, MAX_RAW_TEXT_BYTES
from tests.fakes.telegram_api.errors import _bad

# --------------------------------------------------------------------------- text and entities


class _EntityParseError(Exception):
    pass


@dataclass
class _Entity:
    """A message entity in UTF-16 code units, as the Bot API counts them."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user: JSON | None = None

    def to_json(self) -> JSON:
        out: JSON = {"offset": self.offset, "length": self.length, "type": self.type}
        if self.url is not None:
            out["url"] = self.url
        if self.language:
            out["language"] = self.language
        if self.custom_emoji_id is not None:
            out["custom_emoji_id"] = self.custom_emoji_id
        if self.user is not None:
            out["user"] = self.user
        return out


# tdlib's sort priority for entities that share offset and length.
_ENTITY_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}

_KNOWN_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)


def _sort_entities(entities: list[_Entity]) -> None:
    entities.sort(key=lambda e: (e.offset, -e.length, _ENTITY_PRIORITY.get(e.type, 50)))


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of every entity offset in the Bot API."""
    return sum(_u16(ch) for ch in text)


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_ENTITY = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)


def _is_space(text: str, i: int) -> bool:
    # tdlib's is_space also holds for the terminating NUL, i.e. the end of the text.
    return i >= len(text) or text[i] in " \t\r\n\0\v\f"


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` and numeric references like tdlib."""
    n = len(text)
    end = pos + 1
    value = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            start = end
            while end < n and text[end] in string.hexdigits:
                end += 1
            value = int(text[start:end], 16) if end > start else 0
        else:
            start = end
            while end < n and text[end] in string.digits:
                end += 1
            value = int(text[start:end]) if end > start else 0
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        decoded = chr(value)
    else:
        start = end
        while end < n and text[end] in string.ascii_letters:
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[start:end])
        if named is None:
            return None
        decoded = named
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


def _normalize_url(url: str) -> str | None:
    """A light version of tdlib's check_url: add a scheme and a path, refuse non-URLs."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if url.startswith("tg://"):
        return url
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https", "ftp", "tonsite"} or not parts.hostname:
        return None
    if "." not in parts.hostname and parts.hostname != "localhost":
        return None
    if not parts.path:
        url = parts._replace(path="/").geturl()
    return url


def parse_html(text: str) -> tuple[str, list[_Entity]]:
    """Parse Telegram's HTML subset exactly as tdlib does, including its error messages."""
    n = len(text)

    def byte_offset(i: int) -> int:
        return len(text[:i].encode("utf-8", "surrogatepass"))

    out: list[str] = []
    u16 = 0
    entities: list[_Entity] = []
    # (tag name, argument, utf-16 offset, index into out)
    stack: list[tuple[str, str, int, int]] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                u16 += _u16(decoded[0])
                i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue

        begin = i
        i += 1
        if i >= n or text[i] != "/":
            while not _is_space(text, i) and text[i] != ">":
                i += 1
            if i >= n:
                raise _EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise _EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            argument = ""
            while i < n and text[i] != ">":
                while i < n and _is_space(text, i):
                    i += 1
                if i >= n:
                    raise _EntityParseError(
                        f"Unclosed start tag at byte offset {byte_offset(begin)}"
                    )
                if text[i] == ">":
                    break
                attr_begin = i
                while not _is_space(text, i) and text[i] not in "=>":
                    i += 1
                attr_name = text[attr_begin:i].lower()
                if not attr_name:
                    raise _EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                while i < n and _is_space(text, i):
                    i += 1
                if i >= n or text[i] != "=":
                    # An attribute without a value, e.g. <blockquote expandable>.
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "expandable"
                    continue
                i += 1
                while i < n and _is_space(text, i):
                    i += 1
                if i >= n:
                    raise _EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                value_chars: list[str] = []
                if text[i] not in "'\"":
                    token_begin = i
                    while i < n and (text[i] in _ASCII_ALNUM or text[i] in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(text, i) and text[i] != ">":
                        where = byte_offset(token_begin)
                        raise _EntityParseError(
                            f"Unexpected end of name token at byte offset {where}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(value_chars)
                if i >= n:
                    raise _EntityParseError(
                        f"Unclosed start tag at byte offset {byte_offset(begin)}"
                    )
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "expandable"
            if tag == "span" and argument != "spoiler":
                raise _EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            if tag == "tg-emoji" and not argument.isdigit():
                raise _EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                    f"{byte_offset(begin)}"
                )
            stack.append((tag, argument, u16, len(out)))
            i += 1  # skip '>'
            continue

        # An end tag.
        if not stack:
            raise _EntityParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        while not _is_space(text, i) and text[i] != ">":
            i += 1
        end_tag = text[begin + 2 : i]
        while i < n and _is_space(text, i):
            i += 1
        if i >= n or text[i] != ">":
            raise _EntityParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        i += 1
        tag, argument, start_u16, start_out = stack.pop()
        if end_tag and end_tag != tag:
            raise _EntityParseError(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                f'expected "</{tag}>", found "</{end_tag}>"'
            )
        if u16 <= start_u16:
            continue
        length = u16 - start_u16
        if tag in _SIMPLE_TAG_ENTITY:
            entities.append(_Entity(_SIMPLE_TAG_ENTITY[tag], start_u16, length))
        elif tag == "a":
            url = argument or "".join(out[start_out:])
            user_match = re.fullmatch(r"tg://user\?id=(\d+)", url)
            if user_match:
                user = {"id": int(user_match.group(1)), "is_bot": False, "first_name": ""}
                entities.append(_Entity("text_mention", start_u16, length, user=user))
            else:
                normalized = _normalize_url(url)
                if normalized is not None:
                    entities.append(_Entity("text_link", start_u16, length, url=normalized))
        elif tag == "tg-emoji":
            entities.append(_Entity("custom_emoji", start_u16, length, custom_emoji_id=argument))
        elif tag == "blockquote":
            kind = "expandable_blockquote" if argument else "blockquote"
            entities.append(_Entity(kind, start_u16, length))
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last.type == "code"
                and (last.offset, last.length) == (start_u16, length)
                and last.language
            ):
                last.type = "pre"
            else:
                entities.append(_Entity("pre", start_u16, length))
        else:  # code
            last = entities[-1] if entities else None
            if (
                last is not None
                and last.type == "pre"
                and (last.offset, last.length) == (start_u16, length)
                and argument
            ):
                last.language = argument
            else:
                entities.append(_Entity("code", start_u16, length, language=argument or None))
    if stack:
        raise _EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity.type == "code":
            entity.language = None
    result = "".join(out)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in result):
        raise _EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    _sort_entities(entities)
    return result, entities


_BOT_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION_RE = re.compile(r"(?<!\w)@[A-Za-z0-9_]{3,32}(?!\w)")
_HASHTAG_RE = re.compile(r"(?<!\w)#\w{1,256}(?![\w#])")
_URL_RE = re.compile(r"(?<![\w@])https?://[^\s<>\"']+")


def find_entities(text: str) -> list[_Entity]:
    """Entities the server detects by itself: bot commands, mentions, hashtags, URLs."""
    found: list[tuple[int, int, str]] = []
    for match in _BOT_COMMAND_RE.finditer(text):
        found.append((match.start(), match.end(), "bot_command"))
    for match in _MENTION_RE.finditer(text):
        found.append((match.start(), match.end(), "mention"))
    for match in _HASHTAG_RE.finditer(text):
        if any(ch.isalpha() for ch in match.group()[1:]):
            found.append((match.start(), match.end(), "hashtag"))
    for match in _URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in ".,;:!?)":
            end -= 1
        found.append((match.start(), end, "url"))
    found.sort()
    entities: list[_Entity] = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue
        offset = utf16_length(text[:start])
        entities.append(_Entity(kind, offset, utf16_length(text[start:end])))
        last_end = end
    return entities


def _removed_char(ch: str) -> bool:
    code = ord(ch)
    return ch == "\r" or 0x2028 <= code <= 0x202E or code in (0x030A, 0x0333, 0x033F)


def fix_formatted_text(
    text: str, entities: list[_Entity], *, allow_empty: bool
) -> tuple[str, list[_Entity]]:
    """tdlib's fix_formatted_text: clean control characters, drop blank entities, trim.

    Raises _EntityParseError("Message must be non-empty") when nothing is left and
    ``allow_empty`` is false.
    """
    # Map UTF-16 offsets to code point indexes.
    u16_to_index: dict[int, int] = {}
    pos = 0
    for index, ch in enumerate(text):
        u16_to_index[pos] = index
        pos += _u16(ch)
    u16_to_index[pos] = len(text)
    spans: list[tuple[_Entity, int, int]] = []
    for entity in entities:
        start = u16_to_index.get(entity.offset)
        end = u16_to_index.get(entity.offset + entity.length)
        if start is None or end is None or entity.length <= 0:
            raise _EntityParseError("Entity begins or ends in a middle of a UTF-16 symbol")
        spans.append((entity, start, end))

    kept: list[str] = []
    kept_before = [0] * (len(text) + 1)
    for index, ch in enumerate(text):
        kept_before[index] = len(kept)
        if _removed_char(ch):
            continue
        kept.append(" " if ord(ch) <= 32 and ch != "\n" else ch)
    kept_before[len(text)] = len(kept)

    cleaned = "".join(kept)
    mapped: list[tuple[_Entity, int, int]] = []
    for entity, start, end in spans:
        new_start, new_end = kept_before[start], kept_before[end]
        if any(ch not in " \n" for ch in cleaned[new_start:new_end]):
            mapped.append((entity, new_start, new_end))

    last = max((i + 1 for i, ch in enumerate(cleaned) if ch not in " \n"), default=0)
    if last == 0:
        if allow_empty:
            return "", []
        raise _EntityParseError("Message must be non-empty")
    cleaned = cleaned[:last]
    mapped = [(e, s, min(t, last)) for e, s, t in mapped if s < last]
    first_entity = min((s for _, s, _ in mapped), default=len(cleaned))
    first = 0
    while first < first_entity and cleaned[first] in " \n":
        first += 1
    cleaned = cleaned[first:]
    result: list[_Entity] = []
    for entity, start, end in mapped:
        start -= first
        end -= first
        if end <= start:
            continue
        entity.offset = utf16_length(cleaned[:start])
        entity.length = utf16_length(cleaned[start:end])
        result.append(entity)
    _sort_entities(result)
    return cleaned, result


def _merge_detected(text: str, entities: list[_Entity]) -> list[_Entity]:
    blocking = [e for e in entities if e.type in {"pre", "code", "text_link", "text_mention"}]
    merged = list(entities)
    for found in find_entities(text):
        end = found.offset + found.length
        if any(found.offset < b.offset + b.length and b.offset < end for b in blocking):
            continue
        merged.append(found)
    _sort_entities(merged)
    return merged


def _entities_from_json(raw: str) -> list[_Entity]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise _bad("can't parse entities JSON object") from exc
    if not isinstance(value, list):
        raise _bad("can't parse entities: expected an Array of MessageEntity")
    entities: list[_Entity] = []
    for item in value:
        if not isinstance(item, dict):
            raise _bad("can't parse MessageEntity: expected an Object")
        kind = item.get("type")
        offset = item.get("offset")
        length = item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise _bad('can\'t parse MessageEntity: Field "offset" must be a valid Number')
        if kind not in _KNOWN_ENTITY_TYPES:
            raise _bad("can't parse MessageEntity: Unsupported type specified")
        if kind in {"mention", "hashtag", "cashtag", "bot_command", "url", "email"}:
            continue  # the server finds these itself
        url = item.get("url") if kind == "text_link" else None
        language = item.get("language") if kind == "pre" else None
        emoji = item.get("custom_emoji_id") if kind == "custom_emoji" else None
        user = item.get("user") if kind == "text_mention" else None
        entities.append(_Entity(str(kind), offset, length, url, language, emoji, user))
    _sort_entities(entities)
    return entities


def format_text(
    raw: str, parse_mode: str, entities_json: str, *, allow_empty: bool
) -> tuple[str, list[JSON]]:
    """From the request's text, parse_mode and entities to the visible text and its entities."""
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_RAW_TEXT_BYTES:
        raise _bad("text is too long")
    mode = parse_mode.lower()
    entities: list[_Entity]
    try:
        if raw and mode and mode != "none":
            if mode == "html":
                text, entities = parse_html(raw)
            elif mode in {"markdown", "markdownv2"}:
                # Not emulated: the text is taken as it is.
                text, entities = raw, []
            else:
                raise _bad("unsupported parse_mode")
        else:
            text, entities = raw, _entities_from_json(entities_json)
    except _EntityParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from exc
    try:
        text, entities = fix_formatted_text(text, entities, allow_empty=allow_empty)
    except _EntityParseError as exc:
        message = str(exc)
        raise _bad(message[0].lower() + message[1:]) from exc
    return text, [e.to_json() for e in _merge_detected(text, entities)]
