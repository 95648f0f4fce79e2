"""The Finnish analyser in a process of its own: reads lists of words, answers with their readings, one line each.

Run by `morphology` as `python analyser_worker.py`, never imported by the bot. Voikko's transducer takes about a
second to load, holding the interpreter all the while, and keeps some 220 MB: in its own process it loads beside
the bot's start-up instead of freezing the bot, and its memory is given back the moment the bot stops. Each request
line is a JSON list of lower-cased words; each answer line a JSON list, per word, of [base form, word class, case,
mood] readings. It exits when its input closes, so it never outlives the bot.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    try:
        import pyvoikko
    except ImportError:
        analyse = None
    else:
        analyse = pyvoikko.analyse
    for line in sys.stdin:
        words = json.loads(line)
        answer = [
            [[a.BASEFORM, a.CLASS, a.SIJAMUOTO, a.MOOD] for a in analyse(word)] if analyse else [] for word in words
        ]
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
