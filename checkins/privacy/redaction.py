"""Scrubbing of identifying details from free text before it reaches the supervisor's digest.

This module owns the whole pass and what each finding is called: the names it is given (member and configured names,
through the literal stems of `name_matching` and the analyser's base forms, so Lahti → Lahden and Kerttu → Kertun),
names nobody configured (`person_names`), Telegram @mentions, e-mail addresses, phone numbers, Finnish personal
identity codes, URLs, and birth dates, ages, street addresses and plates (`details`), each replaced by a placeholder
the caller supplies in the digest's language. Matching runs on the text's skeleton (`folding`: full-width, look-alike
and accented letters made plain, spaced-out words joined). It is a best-effort safety net, not a guarantee: a name
that is also an ordinary word is kept in lower case and, when it can be read as a verb, at the start of a sentence;
places stay; phone numbers are recognised only in international form, with a leading 0, or as a bare run of 9+
digits; bare domains need a known top-level domain; and a description that identifies someone without naming them
("our only night nurse") passes through. Spans refer to, and the redacted text is built from, `normalise(text)`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from checkins.privacy import morphology, person_names
from checkins.privacy.details import DetailKind, detail_spans
from checkins.privacy.folding import skeleton, spaced_runs
from checkins.privacy.name_matching import END, NameIndex, NameRule


class RedactionKind(StrEnum):
    NAME = "name"  # a member's or configured name
    FOUND_NAME = "found_name"  # a person's name nobody configured, found by reading the text
    MENTION = "mention"
    EMAIL = "email"
    PHONE = "phone"
    IDENTITY_CODE = "identity_code"
    URL = "url"
    BIRTH_DATE = DetailKind.BIRTH_DATE.value
    AGE = DetailKind.AGE.value
    ADDRESS = DetailKind.ADDRESS.value
    PLATE = DetailKind.PLATE.value


Finding = tuple[RedactionKind, int, int]

# Equal-length overlapping findings are named by the more specific kind.
_SPECIFICITY = (
    "identity_code",
    "email",
    "url",
    "phone",
    "birth_date",
    "address",
    "plate",
    "age",
    "mention",
    "name",
    "found_name",
)
_PRIORITY = {RedactionKind(kind): rank for rank, kind in enumerate(_SPECIFICITY)}

# Invisible characters that could split a name so that it no longer matches: zero-width space/joiners, word
# joiner, BOM, soft hyphen and the bidirectional marks, embeddings and isolates.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070)]
)


def normalise(text: str) -> str:
    """The form of `text` that matching runs on and that `findings` spans refer to."""
    # Strip before composing: removing a joiner can bring a letter and its combining mark together.
    return unicodedata.normalize("NFC", text.translate(_INVISIBLE))


# A lookaround only ever rejects a character of the same class (letter or digit) as the edge of the match it
# guards. Otherwise one finding could hide its neighbour ("a@b.fi0401234567": were letters-or-digits to end a
# match, the number would keep the address from ending at "fi"), the neighbour would leak, and a second pass - now
# seeing "]" - would find it, so redaction would not be idempotent.


_MENTION = re.compile(rf"@[A-Za-z][A-Za-z0-9_]{{3,31}}{END}")
# The local part is at most 64 characters (as in RFC 5321), which keeps trying every start linear.
_EMAIL = re.compile(
    r"(?:(?<![^\W\d])[^\W\d]|(?<![0-9])[0-9])[\w.+-]{0,63}@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![^\W\d])"
)
# Bare domains only with a known top-level domain, written in lower case: "Kiitos.Se oli..." (a missing space
# after a full stop) must not become a link, while "kiitos.se" sadly still does.
_URL = re.compile(
    r"(?<![^\W\d])[^\W\d_]*?(?:https?://|www\.)[^\s<>\"]+"  # letters glued in front go with it
    # A label is at most 63 characters (as in DNS), which also keeps a scan from every start linear.
    r"|(?<![.-])(?=(?<![^\W\d])[^\W\d_]|(?<![0-9])[0-9])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"(?-i:fi|ax|se|dk|ee|eu|com|net|org|info|io|app|dev|uk|de)(?![^\W\d])(?:[:/][^\s<>\"]*)?",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]}'\"»”’"
# Finnish and international numbers. A domestic number must start with 0 (040…, 09…, (09)…) and an unseparated
# one may be any run of 9-15 digits; this is what keeps years, dates, times, scale answers and amounts out.
_SEP = "[ \u00a0\u202f-]"
# Group sizes and counts are bounded so that a candidate is short and rescanning after a rejected one is cheap.
_GROUPS = rf"(?:{_SEP}[0-9]{{2,15}}){{0,6}}"
_PHONE = re.compile(  # after a country code an area code may be one digit: +46 8 123 456 78
    rf"(?:\+[0-9]{{1,3}}{_SEP}?(?:\(0?[0-9]{{0,3}}\){_SEP}?)?[0-9]{{1,15}}{_GROUPS}"
    rf"|\([0-9]{{1,4}}\){_SEP}?[0-9]{{2,15}}{_GROUPS}"
    rf"|(?<![0-9])(?:0[0-9]{{1,14}}{_GROUPS}|[1-9][0-9]{{8,14}}))(?![0-9])"
)
_IDENTITY_CODE = re.compile(
    r"(?<![0-9])([0-9]{2})([0-9]{2})([0-9]{2})([-+A-FU-Y])[0-9]{3}"
    rf"[0-9A-FHJ-NPR-Y]{END}",
    re.IGNORECASE,
)
_CENTURY = {"+": 1800, **dict.fromkeys("-UVWXY", 1900), **dict.fromkeys("ABCDEF", 2000)}
_DIGIT_RUN = re.compile(r"[0-9]+")


def _phone_end(match: re.Match[str]) -> int | None:
    """Where the number in a candidate ends: before a group that would pass 15 digits, or before a group starting
    with 0 once there are 9 digits ("040 123 4567 040 765 4321" is two numbers). None below 7 digits."""
    digits, end = 0, 0
    for run in _DIGIT_RUN.finditer(match[0]):
        if digits + len(run[0]) > 15 or (digits >= 9 and run[0][0] == "0"):
            break
        digits, end = digits + len(run[0]), run.end()
    return match.start() + end if digits >= 7 else None


def _identity_code_end(match: re.Match[str]) -> int | None:
    # Shape and date only. The check character is deliberately not verified: a code with a typo in it still
    # points at one person, and the date check already keeps other ten-character codes out.
    day, month, year = int(match[1]), int(match[2]), int(match[3]) + _CENTURY[match[4].upper()]
    if not 1 <= month <= 12:
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return match.end() if 1 <= day <= days else None


# Name particles that alone identify nobody; they stay part of the full name.
_NAME_PUNCTUATION = '.,;:!?()[]{}"“”«»'
_PARTICLES = frozenset({"af", "av", "da", "de", "del", "den", "der", "di", "du", "la", "le", "van", "von"})


@functools.lru_cache(maxsize=128)
def name_index(names: tuple[str, ...]) -> NameIndex:
    """A group's names rarely change, and the same digest is built again when it is re-sent."""
    return NameIndex(_name_rules(names))


@functools.lru_cache(maxsize=128)
def _name_bases(names: tuple[str, ...]) -> frozenset[str]:
    words = (word for name in names for word in skeleton(normalise(name)).replace("-", " ").split())
    return frozenset(word.lower() for word in words if len(word) > 2 and word.isalpha())


def _name_rules(names: Iterable[str]) -> Iterator[NameRule]:
    for raw in names:
        words = [w.strip(_NAME_PUNCTUATION).lstrip("@") for w in normalise(str(raw)).split()]
        # One letter identifies nobody, and the name "A" would take every English "a" with it.
        words = [w for w in words if len(w) > 1 and any(c.isalnum() for c in w)]
        for word in words:
            if len(words) > 1 and word.lower() in _PARTICLES:
                continue
            yield NameRule.for_word(word)
            if "-" in word and word.replace("-", "").isalpha():  # Anna-Liisa is also called Liisa
                yield from (NameRule.for_hyphen_part(p) for p in word.split("-") if p and p.lower() not in _PARTICLES)
        if len(words) > 1:
            yield NameRule.for_full_name(words)


def _scan(
    pattern: re.Pattern[str], text: str, end_of: Callable[[re.Match[str]], int | None]
) -> Iterator[tuple[int, int]]:
    """Like finditer, but `end_of` may shorten a candidate, and one it rejects is skipped one character, not whole.

    So "040000 0131052-308" (too many digits for one number) still yields the number that starts inside it.
    """
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        end = end_of(match)
        if end is None:
            pos = match.start() + 1
        else:
            yield match.start(), end
            pos = end


def _resolve(candidates: Iterable[Finding]) -> list[Finding]:
    """Merge overlapping candidates: the union of their spans, named by the longest (ties by priority).

    Taking the union rather than dropping the shorter one means no matched character ever survives.
    """
    merged: list[tuple[RedactionKind, int, int, tuple[int, int]]] = []
    for kind, start, end in sorted(candidates, key=lambda c: (c[1], -c[2])):
        rank = (start - end, _PRIORITY[kind])
        if merged and start < merged[-1][2]:
            best, first, last, best_rank = merged[-1]
            if rank < best_rank:
                best, best_rank = kind, rank
            merged[-1] = (best, first, max(last, end), best_rank)
        else:
            merged.append((kind, start, end, rank))
    return [(kind, start, end) for kind, start, end, _ in merged]


_NAMES = frozenset({RedactionKind.NAME, RedactionKind.FOUND_NAME})


def _join_names(findings: list[Finding], text: str) -> list[Finding]:
    """Names separated only by spaces are one name: "Matti Virtanen" → one placeholder, configured if a part is."""
    joined: list[Finding] = []
    for kind, start, end in findings:
        if joined and kind in _NAMES and joined[-1][0] in _NAMES:
            last_kind, first, last = joined[-1]
            between = text[last:start]
            if between and between.isspace() and "\n" not in between:
                both = RedactionKind.NAME if RedactionKind.NAME in (kind, last_kind) else kind
                joined[-1] = (both, first, end)
                continue
        joined.append((kind, start, end))
    return joined


# Replacing what was found can reveal more (see `Redactor.redact`); in practice a second pass finds nothing.
MAX_PASSES = 4


@dataclass(frozen=True)
class Redactor:
    """Built once per group & digest from the names to scrub."""

    names: NameIndex = field(default_factory=lambda: NameIndex(()), repr=False)
    # The configured names' words in lower case, to meet the base forms the analyser gives: "Lahden" → lahti.
    bases: frozenset[str] = field(default=frozenset(), repr=False)
    thorough: bool = True  # also names nobody configured and base forms; see `second_net`

    @classmethod
    def for_names(cls, names: Iterable[str]) -> Redactor:
        """Names: first, last and full names, usernames with or without @, names listed in the config."""
        unique = tuple(dict.fromkeys(str(name) for name in names))
        return cls(name_index(unique), _name_bases(unique))

    @classmethod
    def for_people(cls, people: Iterable[tuple[str | None, ...]], extra_names: Iterable[str] = ()) -> Redactor:
        """From people's (first name, last name, username) — each part alone and first + last together — plus
        names listed in the config."""
        names: list[str] = list(extra_names)
        for person in people:
            parts = [part for part in person if part]
            names += parts
            if len(parts) >= 2 and person[0] and person[1]:
                names.append(f"{person[0]} {person[1]}")
        return cls.for_names(names)

    def _candidates(self, text: str, kept: frozenset[str]) -> Iterator[Finding]:
        plain = skeleton(text)
        details = list(self._details(plain))
        yield from details
        # Names are read with links and addresses blanked out: a full stop inside one is no sentence end, so a name
        # after it is read the same before and after it becomes its placeholder (redacting twice changes nothing).
        masked = list(plain)
        for kind, start, end in details:
            if kind in (RedactionKind.URL, RedactionKind.EMAIL):
                masked[start:end] = "_" * (end - start)
        yield from self._names("".join(masked), kept)

    def _details(self, plain: str) -> Iterator[Finding]:
        for start, end in _scan(_IDENTITY_CODE, plain, _identity_code_end):
            yield RedactionKind.IDENTITY_CODE, start, end
        for match in _EMAIL.finditer(plain):
            yield RedactionKind.EMAIL, match.start(), match.end()
        for match in _URL.finditer(plain):
            end = match.end()
            while end > match.start() + 1 and plain[end - 1] in _URL_TRAILING:
                end -= 1  # "(see www.example.fi)." keeps its bracket and full stop
            yield RedactionKind.URL, match.start(), end
        for start, end in _scan(_PHONE, plain, _phone_end):
            yield RedactionKind.PHONE, start, end
        for match in _MENTION.finditer(plain):
            yield RedactionKind.MENTION, match.start(), match.end()
        for detail, start, end in detail_spans(plain):
            yield RedactionKind(detail.value), start, end

    def _names(self, plain: str, kept: frozenset[str]) -> Iterator[Finding]:
        # Reading every word is the costly part: the second net does it only if a one-word match needs the language.
        words: list[person_names.Word] = []
        language: list[bool] = []

        def all_words() -> list[person_names.Word]:
            if not words:
                words.extend(person_names.words(plain))
                morphology.prime(word.text for word in words)  # one exchange with the analyser for the text
            return words

        def finnish() -> bool:
            if not language:
                language.append(person_names.is_finnish(all_words()))
            return language[0]

        configured = set()
        for start, end in self.names.spans(plain):
            word = person_names.word_at(plain, start)
            if word is None or end > word.end or not person_names.is_ordinary_word(word, finnish):
                configured.add(start)
                yield RedactionKind.NAME, start, end
        for start, end, joined in spaced_runs(plain):
            if next(self.names.spans(joined), None) is not None:
                yield RedactionKind.NAME, start, end
            elif self.thorough and any(person_names.unconfigured_names(joined, person_names.words(joined), True)):
                yield RedactionKind.FOUND_NAME, start, end
        if not self.thorough:
            return
        for word in all_words() if self.bases else ():
            if word.start in configured or not person_names.base_forms(word, finnish()) & self.bases:
                continue
            if not person_names.is_ordinary_word(word, finnish):
                yield RedactionKind.NAME, word.start, word.end
        for start, end in person_names.unconfigured_names(plain, all_words(), finnish()):
            if plain[start:end].casefold() not in kept:
                yield RedactionKind.FOUND_NAME, start, end

    def second_net(self) -> Redactor:
        """For text already scrubbed at close: configured names and patterns only, without reading every word.

        The thorough pass (every word through the analyser, names nobody configured) runs once, when the member
        previews and when the round closes, with what the member decided at review; the digest, built again and
        again from those stored texts, must neither undo the member's decisions nor pay for the analysis again."""
        return replace(self, thorough=False)

    def findings(self, text: str, kept: Iterable[str] = ()) -> list[Finding]:
        """What `redact` would replace: (kind, start, end) in `normalise(text)`, in order, never overlapping.

        `kept` are found names (not configured ones) the author said are no one: they stay."""
        text = normalise(text)
        return _join_names(_resolve(self._candidates(text, _kept(kept))), text)

    def redact(self, text: str, placeholders: Mapping[RedactionKind, str], kept: Iterable[str] = ()) -> str:
        """`text` normalised, with every finding replaced by the placeholder for its kind.

        A replacement can change how its neighbours read (a word glued to a name, a full stop inside a link), so a
        text that had findings is read again until nothing more is found: scrubbing twice (at close, then at digest
        time) is scrubbing once."""
        kept = tuple(kept)
        text = normalise(text)
        for _ in range(MAX_PASSES):
            findings = self.findings(text, kept)
            if not findings:
                break
            text = _replace(text, findings, placeholders)
        return text


def _replace(text: str, findings: list[Finding], placeholders: Mapping[RedactionKind, str]) -> str:
    pieces: list[str] = []
    last = len(text)
    for kind, start, end in reversed(findings):
        # A placeholder missing from a catalog must neither crash the digest nor let the detail through.
        pieces += [text[end:last], placeholders.get(kind, "[…]")]
        last = start
    pieces.append(text[:last])
    return "".join(reversed(pieces))


def _kept(words: Iterable[str]) -> frozenset[str]:
    """Each word of the phrases the author kept ("Matti Virtanen" keeps both), as found names are matched."""
    return frozenset(part.casefold() for word in words for part in skeleton(normalise(word)).split())
