"""Finding people's names, in their inflected forms, in free text: the name half of redaction.

This module owns the name morphology (Finnish case endings, possessive suffixes and clitics, regular consonant
gradation, the plural stems families are named by, Swedish and English genitives) and the matcher that applies it.
A name becomes a `NameRule`: the literal stems it can start with, each followed by one of a few shared, precompiled
ending patterns. `NameIndex` files the rules in a trie of their letters, so a text is only tried at the word
starts whose letters some name begins with. A regular expression per name, run over every text, made a
digest for 1,000 people quadratic and compiling 4,000 such expressions cost seconds before the first text was read.
Matching is case-insensitive by simple case folding (`fold`); the spans are those one expression per name,
`(?<![^\\W\\d])@?(?:stem ending|...)` searched with `finditer`, would find.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Ends a match: a final digit may not be followed by a digit, anything else not by a letter. (See redaction.py
# for why a lookaround only ever rejects a character of the same class as the edge of the match it guards.)
END = r"(?:(?<=[0-9])(?![0-9])|(?<![0-9])(?![^\W\d]))"

# Finnish endings, with both vowel-harmony variants everywhere rather than working out the harmony: an extra
# alternative costs nothing, a missed one leaks a name. Case endings (genitive, partitive, the locative cases,
# essive, translative, abessive, comitative, illative, and the plurals people use for families: Virtaset,
# Virtasille), then possessive suffixes, then clitics (-kin, -kaan, -han, -pa, -ko, colloquial -s).
_CASE = (
    r"(?:n|[aä]|t[aä]|lle|lt[aä]|ll[aä]|st[aä]|ss[aä]|n[aä]|ksi|kse|tt[aä]|ineen|ine|h?[aeiouyäö]n|seen"
    r"|t|ten|den|en|ille|ilt[aä]|ill[aä]|ist[aä]|iss[aä]|ien|in[aä]|ihin|i[aä])"
)
_POSS = r"(?:ni|si|ns[aä]|mme|nne|[aeiouyäö]n)"
_CLITIC = r"(?:kin|k[aä][aä]n|h[aä]n|p[aä]|k[oö]|s)"
_ENDINGS = rf"(?:{_CASE}{_POSS}?{_CLITIC}?|{_POSS}{_CLITIC}?|{_CLITIC})"
# The weak grade only appears before the endings that close the syllable: Pekan, Pekalle, but Pekkaa, Pekkaan;
# this keeps Antti's weak stem from taking "antia" (the partitive of the word "anti").
_WEAK_ENDINGS = rf"(?:(?:n|ll[aä]|lt[aä]|lle|ss[aä]|st[aä]|ksi|tt[aä]|t){_POSS}?{_CLITIC}?)"
# Plural forms built on the stem without its last vowel: Maija → Maijineen, Maijoille, Pekka → Pekkojen.
_PLURAL_CASE = r"(?:neen|ne|lle|lt[aä]|ll[aä]|st[aä]|ss[aä]|hin|den|tten|en|n[aä]|ksi|t[aä]|[aä])"
_PLURAL = rf"(?:(?:[oöe]?i{_PLURAL_CASE}|[oö]j(?:en|[aä])){_POSS}?{_CLITIC}?)"
# Swedish/English genitive (Annas is already the clitic -s) and the colon Finnish puts before the ending of a
# foreign-looking word or handle (Jean:lle, @maija_m:n).
_FOREIGN = r"(?:['’]s?|:[^\W\d_]{1,10})"


def _after(ending: str) -> re.Pattern[str]:
    return re.compile(ending + END, re.IGNORECASE)


# What may follow each kind of stem, up to the end of the word. Shared by every name: compiled once.
AFTER_NAME = _after(rf"(?:{_ENDINGS}|{_FOREIGN})?")  # the name as written, bare or with any ending
AFTER_DERIVED = _after(_ENDINGS)  # a derived stem never stands bare: "Anti" of Antti would eat the word "anti"
AFTER_WEAK = _after(_WEAK_ENDINGS)
AFTER_PLURAL = _after(_PLURAL)
AFTER_AS_WRITTEN = _after(f"{_FOREIGN}?")
_SPACE = re.compile(r"\s+")
# Where a name may start: not right after a letter ("xMaija" is no name; "2Maija" and "@maija" are).
_WORD_START = re.compile(r"(?<![^\W\d])\S")

_VOWELS = "aeiouyäöå"
# Regular consonant gradation of the last syllable (strong → weak): Pekka → Pekan, Antti → Antin, Ranta → Rannan.
_GRADATION = (
    *(("kk", "k"), ("pp", "p"), ("tt", "t")),
    *(("nt", "nn"), ("nk", "ng"), ("mp", "mm"), ("lt", "ll"), ("rt", "rr")),
)


class _FoldTable(dict[int, str]):
    """`str.translate` table for `fold`, filled in as characters are met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        upper = char.upper()
        # Upper then lower joins what re's IGNORECASE joins (ſ and s, ı and i, K and k); a character whose case
        # change is longer than one character (ß → SS, İ → i̇) is folded by itself, so positions never shift.
        folded = upper.lower() if len(upper) == 1 and len(upper.lower()) == 1 else char.lower()
        self[code] = folded if len(folded) == 1 else char
        return self[code]


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """`text` in one case, character for character: a position in the result is the same position in `text`."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


Stem = tuple[str, re.Pattern[str]]  # a folded literal and the pattern for what follows it


def _inflected(word: str) -> list[Stem]:
    """The stems of one name word with what may follow each, in the order they are tried.

    Trade-off: matching is case-insensitive and a name is scrubbed wherever it stands as a whole word, in any
    of its forms, because chat text is often written in lower case. So the name "Anna" also removes the verb
    "anna" and "Aino" the word "ainoa"; we accept the lost words over a leaked name.
    """
    if len(word) <= 2 or not word.isalpha():  # very short names, handles and O'Brien: as written
        return [(word, AFTER_AS_WRITTEN)]
    lower = word.lower()
    stems: list[Stem] = [(word, AFTER_NAME)]
    if lower.endswith("nen") and len(word) > 4:  # Virtanen → Virtasen, Virtasta, Virtasille
        stems += [(word[:-3] + ending, AFTER_DERIVED) for ending in ("se", "s", "si")]
    elif lower[-1] not in _VOWELS:  # Kristian → Kristianin; Tobias → Tobiaksen
        stems.append((word + "i", AFTER_DERIVED))
        if lower.endswith("s"):
            stems.append((word[:-1] + "kse", AFTER_DERIVED))
    elif len(word) >= 4:
        body = lower[:-1]
        strong = next((pair for pair in _GRADATION if body.endswith(pair[0])), None)
        if strong:
            stems.append((word[: len(body) - 2] + strong[1] + word[-1], AFTER_WEAK))
        stems.append((word[:-1], AFTER_PLURAL))
    return stems


def _name_word(word: str) -> list[Stem]:
    # Hyphenated names inflect only at the end: Anna-Liisan.
    head, hyphen, tail = word.rpartition("-")
    if hyphen and tail:
        return [(head + hyphen + stem, after) for stem, after in _inflected(tail)]
    return _inflected(word)


@dataclass(frozen=True)
class NameRule:
    """One way of writing a name: words that must come first, each followed by white space, then one of the last
    word's stems with what may follow it."""

    lead: tuple[str, ...]
    stems: tuple[Stem, ...]

    @classmethod
    def of(cls, lead: Iterable[str], stems: Iterable[Stem]) -> NameRule:
        return cls(tuple(map(fold, lead)), tuple((fold(stem), after) for stem, after in stems))

    @classmethod
    def for_word(cls, word: str) -> NameRule:
        return cls.of((), _name_word(word))

    @classmethod
    def for_full_name(cls, words: list[str]) -> NameRule:
        """The full name as one finding: "Maija Meikäläisen" → one placeholder."""
        return cls.of(words[:-1], _name_word(words[-1]))

    @classmethod
    def for_hyphen_part(cls, part: str) -> NameRule:
        return cls.of((), _inflected(part))

    def key(self) -> str:
        """The letters every match of the last word starts with."""
        first = self.stems[0][0]
        length = len(first)
        for stem, _ in self.stems[1:]:
            length = next((i for i in range(length) if stem[i : i + 1] != first[i]), length)
        return first[:length]

    def match_last_word(self, text: str, folded: str, position: int) -> int | None:
        """Where a match of the last word starting at `position` ends, or None."""
        for stem, after in self.stems:
            if folded.startswith(stem, position) and (rest := after.match(text, position + len(stem))):
                return rest.end()
        return None


Numbered = tuple[int, NameRule]


class _Node:
    """A node of the trie of folded letters: the rules whose letters end here and, for a lead word ending here,
    the matcher for what follows it."""

    __slots__ = ("children", "deeper", "rules")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.rules: list[Numbered] = []
        self.deeper: _Matcher | None = None


class _Matcher:
    """A trie of what follows a rule's first `depth` lead words: a rule with no lead words left hangs at its last
    word's common stem, the others, grouped by their next lead word, in a matcher one word deeper. Walking it from
    a position costs a dictionary look-up per letter and only reaches the rules whose letters are there."""

    def __init__(self, rules: Iterable[Numbered], depth: int) -> None:
        self._root = _Node()
        leads: dict[str, list[Numbered]] = {}
        for number, rule in rules:
            if len(rule.lead) > depth:
                leads.setdefault(rule.lead[depth], []).append((number, rule))
            else:
                self._node(rule.key()).rules.append((number, rule))
        for word, group in leads.items():
            self._node(word).deeper = _Matcher(group, depth + 1)

    def _node(self, letters: str) -> _Node:
        node = self._root
        for letter in letters:
            node = node.children.setdefault(letter, _Node())
        return node

    def matches_at(self, text: str, folded: str, position: int) -> Iterator[tuple[int, int]]:
        """(rule number, end) for every rule matching from `position`."""
        node: _Node | None = self._root
        index = position
        while node is not None:
            for number, rule in node.rules:
                if (end := rule.match_last_word(text, folded, position)) is not None:
                    yield number, end
            if node.deeper is not None and (space := _SPACE.match(text, index)):
                yield from node.deeper.matches_at(text, folded, space.end())
            node = node.children.get(folded[index : index + 1])
            index += 1


class NameIndex:
    """A group's name rules, ready to be searched for in any number of texts."""

    def __init__(self, rules: Iterable[NameRule]) -> None:
        self._rules = tuple(dict.fromkeys(rules))
        self._matcher = _Matcher(enumerate(self._rules), 0)

    def __iter__(self) -> Iterator[NameRule]:
        return iter(self._rules)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NameIndex) and self._rules == other._rules

    def __hash__(self) -> int:
        return hash(self._rules)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Every (start, end) a rule matches, a rule's matches never overlapping each other (as with finditer)."""
        if not self._rules:
            return
        folded = fold(text)
        ends: dict[int, int] = {}  # by rule number
        for word_start in _WORD_START.finditer(text):
            start = word_start.start()
            at = start + 1 if text[start] == "@" else start  # "@maija" is found from its "@"
            for number, end in self._matcher.matches_at(text, folded, at):
                if ends.get(number, 0) <= start:
                    ends[number] = end
                    yield start, end
