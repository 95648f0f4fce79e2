"""Author tags: after a round closes, the only link between an answer and its author, readable only with the
round's secret — and only for answers whose author allowed a reply.

A tag is an HMAC of the member's id and the question id under the round's random secret, so two answers of one
member cannot be matched without the secret and the tags of different questions differ. Destroying the secret (at
the close when no answer may be replied to, else at the end of the reply window, or by retention) makes every tag of
the round meaningless.
"""

from __future__ import annotations

import hashlib
import hmac


def author_tag(secret: bytes, member_id: int, question_id: str) -> bytes:
    """Links one answer to its author only for someone holding the round's secret; different per question."""
    return hmac.new(secret, f"{member_id}:{question_id}".encode(), hashlib.sha256).digest()


def member_key(secret: bytes, member_id: int) -> str:
    """Names a member inside one round's outbox de-duplication keys without their id: meaningless once the round's
    secret is gone, and never the same across rounds."""
    return hmac.new(secret, f"outbox:{member_id}".encode(), hashlib.sha256).hexdigest()[:16]
