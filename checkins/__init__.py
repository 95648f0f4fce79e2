"""The Kierros domain — everything the bot decides, with no Telegram in it (handlers/ is the Telegram edge).

Packages, from the bottom up; each may import only the ones below it (`.importlinter`, checked in CI):
`storage` (all SQL) and `config` (config.yaml and flows as typed values) → `i18n`, `formatting`, `messages` (a
screen as plain data) and `outbox` (the durable queue every message goes through) → `privacy` (redaction, author
tags, retention, personal data, anonymous replies) → `digest` (statistics, summary, message, chart, report) →
`rounds` (answering, opening and closing rounds, members and their settings) → `schedule` (the calendar's timer) →
`terminal` (`bot.py try`).
"""
