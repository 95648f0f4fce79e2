"""What keeps answers confidential: redaction, the link between answers and people, and how long anything is kept.

Owns name matching and redaction (`name_matching`, `redaction`, `scrubbing`), the author tags that link an answer to
its author only while the round's secret exists (`author_tags`), retention (`retention`), a member's view and erasure
of their own data (`personal_data`) and anonymous replies from the digest (`replies`). May import `config`,
`storage`, `i18n`, `messages` and `outbox`; never `digest`, `rounds` or `schedule`.
"""
