"""The supervisor's digest: from submitted answers to the message, the chart and the printable report.

Owns the per-question statistics kept after answers are deleted (`stats`), trends over rounds (`trends`), the
threshold-checked summary every renderer reads (`summary`), the compact message (`message`), the chart (`chart`),
the HTML report (`report`), the individual-supervision digest (`individual`) and the service that builds and sends
them (`service`). May import `privacy`, `outbox`, `messages`, `config` and `storage`; never `rounds` or `schedule`:
a digest is built from what a closed round left, not from how answering works.
"""
