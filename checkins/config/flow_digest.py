"""How a flow's questions appear in the supervisor's digest: the `digest` and `role` keys of a flow question.

`digest: quote | summary | report-only` says where a question's answers go: quoted in the one-screen message (free
text), summed up there (scales as spread and mean, choices counted, free text as a count with every answer in the
follow-up messages), or only in the printable report. Without the key a free-text question is quoted and every other
question summed up. `role` gives a question its part in the digest's shape instead of a magic question id: `agenda`
(free text: what a member wants to bring to the session), `agenda-topic` (choice or multi: what that is about,
grouped by Proctor function), `urgency` (choice, least to most urgent) and `wellbeing` (a scale followed in the view
over time). Each role may be given to one question of a flow; the checks here report `file:line: key: problem`.
"""

from __future__ import annotations

from enum import StrEnum

from checkins.config.yamlsource import Node


class Presentation(StrEnum):
    QUOTE = "quote"
    SUMMARY = "summary"
    REPORT_ONLY = "report-only"


class Role(StrEnum):
    AGENDA = "agenda"
    AGENDA_TOPIC = "agenda-topic"
    URGENCY = "urgency"
    WELLBEING = "wellbeing"


# The question types (their YAML names) that can play each role.
ROLE_TYPES: dict[Role, tuple[str, ...]] = {
    Role.AGENDA: ("text",),
    Role.AGENDA_TOPIC: ("choice", "multi"),
    Role.URGENCY: ("choice",),
    Role.WELLBEING: ("scale",),
}


def default_presentation(type_name: str) -> Presentation:
    """Free text is quoted; scales, choices and yes/no are summed up."""
    return Presentation.QUOTE if type_name == "text" else Presentation.SUMMARY


def presentation_of(node: Node, type_name: str) -> Presentation:
    """The question's `digest` key, or the default for its type."""
    value = node.get("digest", str, None, choices=tuple(Presentation))
    if value is None:
        return default_presentation(type_name)
    presentation = Presentation(value)
    if presentation is Presentation.QUOTE and type_name != "text":
        raise node.error(f"only text questions can be quoted (this question is {type_name}): use summary", "digest")
    return presentation


def role_of(node: Node, type_name: str, taken: dict[Role, str]) -> Role | None:
    """The question's `role` key, checked against its type and against the roles earlier questions took."""
    value = node.get("role", str, None, choices=tuple(Role))
    if value is None:
        return None
    role = Role(value)
    if type_name not in ROLE_TYPES[role]:
        owners = " or ".join(ROLE_TYPES[role])
        raise node.error(f"the role '{role}' is for {owners} questions (this question is {type_name})", "role")
    if role in taken:
        raise node.error(f"the role '{role}' is already given to question '{taken[role]}'", "role")
    return role
