"""The form of a text that names are looked for in: one character for each character, look-alikes made plain.

A name must not slip through because it is written "Ｍａｉｊａ" (full width), "𝐌𝐚𝐢𝐣𝐚" (mathematical letters),
"Mаija" (a Cyrillic а), "Máija" (an added accent) or "M a i j a" / "M.a.i.j.a" (spaced out). `skeleton` maps each
character to its plain Latin look-alike: its NFKC form when that is one character, then Unicode's confusables for
the Cyrillic and Greek letters that look Latin, then the base letter without accents (Finnish and Swedish å, ä, ö
and ü stay, they are letters of their own). Because the skeleton has exactly the length of the text, a span found
in it is the same span of the text, which keeps the author's own characters in everything that is not removed.
`spaced_runs` finds words written one letter at a time, for the caller to read as one word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Cyrillic and Greek letters that Unicode's confusables list (confusables.txt) maps to one Latin letter.
_CONFUSABLES = dict(
    zip(
        "АВЕЅІЈКМНОРСТХУаеіјоросухѕԁһӏӀԛԝꙅΑΒΕΖΗΙΚΜΝΟΡΤΥΧοινκρτυχϲϳ",
        "ABESIJKMHOPCTXYaeijopocyxsdhllqwsABEZHIKMNOPTYXoivkptuxcj",
        strict=True,
    )
)
_KEEP = frozenset("åäöüÅÄÖÜ")


class _SkeletonTable(dict[int, str]):
    """`str.translate` table for `skeleton`, filled in as characters are met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        plain = unicodedata.normalize("NFKC", char)
        plain = _CONFUSABLES.get(plain, plain) if len(plain) == 1 else char
        if plain not in _KEEP and plain.isalpha():
            base = unicodedata.normalize("NFD", plain)[0]
            plain = base if base.isalpha() else plain
        self[code] = plain
        return plain


_SKELETON = _SkeletonTable()


def skeleton(text: str) -> str:
    """`text` with look-alike letters made plain, character for character (same length, same positions)."""
    return text if text.isascii() else text.translate(_SKELETON)


# A word written one letter at a time: at least three letters, each pair separated by one or two spaces or dots,
# hyphens, underscores, middle dots or slashes, the same way throughout.
_SPACED = re.compile(r"(?<![^\W\d_])[^\W\d_](?P<sep>[ .\-_·/]{1,2})[^\W\d_](?:(?P=sep)[^\W\d_])+(?![^\W\d_])")


def spaced_runs(plain: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, the letters joined) for each spaced-out word in a skeleton: "M a i j a" → "Maija"."""
    for match in _SPACED.finditer(plain):
        yield match.start(), match.end(), match[0][:: len(match["sep"]) + 1]
