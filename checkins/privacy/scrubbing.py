"""The scrubber for one group: the names of its members (as Telegram reports them) and the names its config lists.

Every place that shows free text to someone other than its author — the digest, the anonymous-reply list, the
author's answer back, the member's own preview of what the supervisor will see — builds its `Redactor` here, so
they cannot drift apart.
"""

from __future__ import annotations

from checkins.config.app import GroupConfig
from checkins.i18n import Catalog
from checkins.privacy.redaction import RedactionKind, Redactor
from checkins.storage import Store


async def group_redactor(store: Store, group: GroupConfig) -> Redactor:
    members = await store.group_members(group.id)
    return Redactor.for_people(((m.first_name, m.last_name, m.username) for m in members), group.redact_names)


def placeholders(catalog: Catalog) -> dict[RedactionKind, str]:
    """The neutral words that stand in for scrubbed details, in the digest's language."""
    return {
        RedactionKind.NAME: catalog.gettext("[name]"),
        RedactionKind.FOUND_NAME: catalog.gettext("[name]"),
        RedactionKind.MENTION: catalog.gettext("[name]"),
        RedactionKind.EMAIL: catalog.gettext("[email]"),
        RedactionKind.PHONE: catalog.gettext("[phone number]"),
        RedactionKind.IDENTITY_CODE: catalog.gettext("[identity code]"),
        RedactionKind.URL: catalog.gettext("[link]"),
        RedactionKind.BIRTH_DATE: catalog.gettext("[date of birth]"),
        RedactionKind.AGE: catalog.gettext("[age]"),
        RedactionKind.ADDRESS: catalog.gettext("[address]"),
        RedactionKind.PLATE: catalog.gettext("[registration plate]"),
    }
