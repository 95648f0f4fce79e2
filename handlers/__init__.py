"""The Telegram edge: thin python-telegram-bot handlers that turn updates into domain calls and screens into messages.

One module per kind of conversation (joining, answering, the supervisor's commands, settings, personal data,
replies, processes, the schedule), plus receiving (updates handled once), delivery (the outbox sender and its
pacing), menus and errors; `application` assembles them with the domain services. Imports `checkins`; `checkins`
never imports `handlers` or `telegram`.
"""
