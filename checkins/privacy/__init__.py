"""What keeps answers confidential: redaction, the link between answers and people, and how long anything is kept.

Owns name matching and redaction (`name_matching`, the Finnish analyser in `morphology`, look-alike letters in
`folding`, names nobody configured in `person_names`, birth dates, ages, addresses and plates in `details`, the whole
pass in `redaction`, a group's scrubber in `scrubbing`), the author tags that link an answer to
its author only while the round's secret exists (`author_tags`), retention (`retention`), a member's view and erasure
of their own data (`personal_data`) and anonymous replies from the digest (`replies`). May import `config`,
`storage`, `i18n`, `messages` and `outbox`; never `digest`, `rounds` or `schedule`.
"""
