"""Telling a person's name from an ordinary word: names nobody configured, and the configured names that are words.

Two decisions, made word by word over the text's skeleton with the analyser's readings (`morphology`) and the
capitalisation the author used:

- **Names nobody configured.** A word is a person's name when the analyser reads it only as a first name or surname
  ("Virtasen", "maija"); when it is capitalised inside a sentence and is a first name or surname among other readings
  ("Toivon" after "kävin"), or unknown to the analyser ("Johnsonille"); at the start of a sentence when it is a
  surname or nothing but a name; after a title ("rouva Mäkelä", "Mr Brown"); and next to another name, so
  "Matti Virtanen" goes as one. Places ("Lahdessa") stay, and so do the few capitalised words that are no one
  (`_NO_ONE`: English days and months, "Wilma", "Kela").
- **Configured names that are words.** The literal stems in `name_matching` also match "ainoa" (for Aino), "toivon"
  (for Toivo) and "laine" (for Laine). Such a one-word match stays the ordinary word when it is written in lower case
  and the analyser knows an ordinary reading, or starts a sentence with a reading that is a verb, pronoun or
  particle of a different base ("Toivon, että…", "Anna minulle aikaa"). Swedish and English text is not Finnish, so
  there a short list of words that are also names decides (`_WORDS_ELSEWHERE`: saga, björn, hope).

Trade-off, said in PRIVACY.md: a name that is also an ordinary word is kept when written in lower case ("puhuin
toivon kanssa"), or when it starts a sentence and can be read as a verb ("Annan kanssa…" reads as "I give").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from checkins.privacy.morphology import FIRST_NAME, PLACE, Reading, Readings, readings

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# What a name carries after it: an English or Swedish possessive, or the colon before a Finnish ending (Jean:lle).
_TAIL = re.compile(r"['’]s?(?![^\W\d])|:[^\W\d_]{1,10}(?![^\W\d])")
_SENTENCE_END = frozenset(".!?…\n")
_OPENERS = frozenset("\"'“”‘’«»([{-–—*•> \t\u00a0")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_TITLES = _set("rouva rva herra hra neiti nti tohtori tri fru herr mr mrs ms miss dr doktor familjen family perhe")
_FAMILY = ("perhe", "suku", "family", "familj")
_SUBJECT_CASES = frozenset({"nimento", "omanto"})
_ADVERB_CASES = frozenset({"tulento", "keinonto", "olento"})  # translative, instructive, essive
_INSIDE_CASES = frozenset({"sisaolento", "sisaeronto", "sisatulento"})
_NO_ONE = _set(
    "i i'm i've i'd i'll ok okay dr mr mrs ms miss sir god christmas easter wilma kela kanta omakanta teams zoom "
    "whatsapp signal google excel word sote hus tyks tays kys oys ksshp monday tuesday wednesday thursday friday "
    "saturday sunday january february march april may june july august september october november december "
    "english finnish swedish russian arabic somali estonian ukrainian covid corona finland sweden england "
    "helsingfors åbo vasa tammerfors esbo vanda borgå uleåborg jakobstad karleby ekenäs lovisa kristinestad "
    "närpes mariehamn raseborg pargas kimitoön sverige stockholm åland facebook instagram tiktok snapchat"
)
# English and Swedish words that start a sentence whose full stop the author left out ("it was hard Today we…"):
# capitalised inside a sentence, unknown to the Finnish analyser, and still no one.
_FUNCTION_WORDS = _set(
    "a an the and but or so too also then there this that these those it its he she we they you me him her us them "
    "my your his our their what when where why how who which if as at in on of to for from with by about after "
    "before again all any some no not now just very more most much many one two today tomorrow yesterday tonight "
    "is are was were be been am do did does have has had can could will would should may might must yes thanks "
    "thank please maybe still even only other others everyone everything nothing someone something lots "
    "och men eller så också sedan där den det de dem han hon vi ni jag du mig dig oss er min din sin vår er "
    "vad när var varför hur vem vilken om som på i av till för från med efter innan igen alla några inga inte nu "
    "bara mycket många en ett två i dag idag imorgon igår ikväll är var vara blev har hade kan kunde ska skulle "
    "måste ja nej tack kanske fortfarande även andra alla allt ingenting någon något"
)
_WORDS_ELSEWHERE = _set(
    "saga björn ros rose hope grace joy faith will mark bill frank sue dawn may june april august iris viola "
    "amber ruby pearl rob pat bo stig vera gun liv ebba axel sten mats"
)
# Nouns and adjectives in an inflected form ("matta" for Matin) are too rare to outweigh a name; see `_word_reading`.
_NOUNS = frozenset({"nimisana", "laatusana", "nimisana_laatusana"})


@dataclass(frozen=True)
class Word:
    start: int
    end: int  # including a possessive or colon ending
    text: str
    initial: bool  # first word of a sentence, a line or the text
    glued: bool  # stuck to something before it ("x]'Ba"): no word of its own

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper() and not self.upper

    @property
    def upper(self) -> bool:
        return len(self.text) > 1 and self.text.isupper()

    @property
    def lower(self) -> str:
        return self.text.lower()


def _word(plain: str, match: re.Match[str]) -> Word:
    start, end = match.span()
    if tail := _TAIL.match(plain, end):
        end = tail.end()
    before = start
    while before > 0 and plain[before - 1] in _OPENERS and plain[before - 1] != "\n":
        before -= 1
    initial = before == 0 or plain[before - 1] in _SENTENCE_END
    opener = start
    while opener > 0 and plain[opener - 1] in _OPENERS and not plain[opener - 1].isspace():
        opener -= 1
    glued = opener > 0 and not plain[opener - 1].isspace() and plain[opener - 1] not in _SENTENCE_END
    return Word(start, end, match[0].rstrip("'’"), initial, glued)


def words(plain: str) -> list[Word]:
    return [_word(plain, match) for match in _WORD.finditer(plain)]


def word_at(plain: str, start: int) -> Word | None:
    """The word that starts at `start`, if one does."""
    match = _WORD.match(plain, start)
    return _word(plain, match) if match and (start == 0 or not plain[start - 1].isalpha()) else None


def _readings(word: Word, finnish: bool) -> Readings:
    text = word.lower
    for suffix in ("'s", "’s", "'", "’"):
        text = text.removesuffix(suffix)
    found = readings(text)
    if not found.known and not finnish and text.endswith("s") and len(text) > 3:
        found = readings(text[:-1])  # Swedish genitive: Eriks
    return found


def is_finnish(all_words: Iterable[Word]) -> bool:
    """Whether most lower-case words are ordinary Finnish words to the analyser (Swedish and English ones are
    unknown to it, or known only as names: "mark", "saga")."""
    lower = [w for w in all_words if w.text[0].islower() and len(w.text) > 1]
    if len(lower) < 2:
        return True
    return sum(bool(readings(w.lower).common) for w in lower) * 2 >= len(lower)


def _no_one(word: Word, found: Readings) -> bool:
    return word.glued or word.lower in _NO_ONE or word.lower in _FUNCTION_WORDS or bool(found.person_bases() & _NO_ONE)


def _person(word: Word, found: Readings, finnish: bool) -> bool:
    if _no_one(word, found):
        return False
    if not word.capitalised:
        return (finnish or word.upper) and found.person and not found.common
    if word.initial:
        # "Maija", "Virtasen", "Koskinen" start a sentence as names; "Ilona" and "Tuulin" too, since their other
        # readings ("as a joy", "with winds") are cases nobody starts a sentence with.
        typical = {r.case for r in found.readings if r.is_person} & _SUBJECT_CASES
        rare = all(r.case is not None and r.case not in _SUBJECT_CASES for r in found.common)
        return found.person and (found.surname or not found.common or (bool(typical) and rare))
    if not finnish:  # Finnish readings of a Swedish or English word mean nothing: "Ali" is a name there
        return not found.only_place
    return found.person or not found.known


def _joins(word: Word, found: Readings, rightward: bool) -> bool:
    """A capitalised word next to a name is part of it, unless it is an ordinary word or no one. At the start of a
    sentence only a first name joins, and only the name after it: "Matti Virtanen", but not "Asukas Elsa"."""
    if not word.capitalised or _no_one(word, found) or word.lower in _TITLES:
        return False
    if word.initial:
        return rightward and any(r.word_class == FIRST_NAME for r in found.readings)
    return found.person or not found.common or found.only_place


def _introduces(word: Word) -> bool:
    return word.lower in _TITLES


def _family(word: Word) -> bool:
    return word.lower.startswith(_FAMILY)


def _decider(word: Word) -> Word:
    """The part of a word that says whether it is a name: in "Teams-palaveri" and "Pertti-isä" the first part (the
    rest is an ordinary word), else the whole word."""
    head, _, tail = word.text.partition("-")
    return replace(word, text=head) if head and tail[:1].islower() else word


def _acronym(word: Word) -> bool:
    """ "HUS", "HUSin", "KELAn", "TE-toimisto": an organisation, not a person ("VIRTASEN" in capitals is a name)."""
    letters = word.text.replace("-", "")
    return letters[:2].isupper() and (not letters.isupper() or len(letters) <= 4)


def unconfigured_names(plain: str, all_words: list[Word], finnish: bool) -> Iterator[tuple[int, int]]:
    """The spans of the people's names in `plain` that nobody configured (adjacent words joined)."""
    deciders = [_decider(w) for w in all_words]
    found = [_readings(w, finnish) for w in deciders]
    names = [_person(w, r, finnish) and not _acronym(w) for w, r in zip(deciders, found, strict=True)]
    for i in range(len(all_words) - 1):
        word, after = all_words[i], all_words[i + 1]
        if plain[word.end : after.start].strip(". ") or "\n" in plain[word.end : after.start]:
            continue
        if word.initial and names[i] and found[i].common and after.capitalised:
            names[i] = False  # "Asukas Elsa Nieminen": a word that says who comes next, not a surname
        # "rouva Mäkelä", "Mr Brown", "familjen Holm"; "Mäkelän perhe", "the Brown family"
        if _introduces(word) and after.capitalised and not _no_one(after, found[i + 1]):
            names[i + 1] = True
        if _family(after) and word.capitalised and (finnish or not word.initial) and not _no_one(word, found[i]):
            names[i] = names[i] or word.lower not in _TITLES
    changed = True
    while changed:  # a name spreads to the capitalised words right next to it: Matti Virtanen, Liisa Mäkelä
        changed = False
        for i in range(len(all_words)):
            if names[i]:
                continue
            for j in (i - 1, i + 1):
                if (
                    0 <= j < len(all_words)
                    and names[j]
                    and _adjacent(plain, all_words, min(i, j))
                    and _joins(all_words[i], found[i], rightward=j > i)
                ):
                    names[i] = changed = True
                    break
    for word, name in zip(all_words, names, strict=True):
        if name:
            yield word.start, word.end


def _adjacent(plain: str, all_words: list[Word], i: int) -> bool:
    between = plain[all_words[i].end : all_words[i + 1].start]
    return between.isspace() and "\n" not in between


def base_forms(word: Word, finnish: bool) -> frozenset[str]:
    """Every lower-cased base form the analyser gives the word: "Lahden" → {"lahti"}, "Kertun" → {"kerttu"}."""
    return frozenset(r.base.lower().replace("=", "") for r in _readings(word, finnish).readings)


def is_ordinary_word(word: Word, finnish: Callable[[], bool]) -> bool:
    """Whether a one-word match of a configured name is here the ordinary word that looks like it. `finnish` says
    whether the text is Finnish; it is asked only when the answer depends on it (it reads every word)."""
    found = _readings(word, True)
    town = not found.person and any(r.word_class == PLACE and r.case in _INSIDE_CASES for r in found.readings)
    if word.capitalised and not word.initial:
        return town and finnish()  # "Lahdessa", "Lahteen": the town
    if not finnish():
        return not word.capitalised and word.lower in _WORDS_ELSEWHERE
    if town:
        return True
    if not word.capitalised:
        return bool(found.common)
    if not found.person and found.known and all(r.case in _ADVERB_CASES for r in found.readings):
        return True  # "Onneksi": known, no person, and in a case that makes it an adverb
    names = found.person_bases()
    return any(_word_reading(r, word) and r.base.lower() not in names for r in found.common)


def _word_reading(reading: Reading, word: Word) -> bool:
    """A reading that outweighs a name at the start of a sentence: a verb that is not an order ("Toivon, että"),
    a pronoun or particle, or a noun or adjective in its own base form ("Ainoa keino")."""
    if reading.word_class == "teonsana":
        return reading.mood != "imperative"
    return reading.word_class not in _NOUNS or reading.base.lower() == word.lower
