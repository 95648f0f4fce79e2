"""Prometheus metrics: what the outbox delivered and retried, and how much waits, with no person in any figure.

`Metrics` owns a private `CollectorRegistry` (not prometheus_client's global one, so several bots in one process —
the tests, the benchmarks — keep their own figures). The outbox sender counts through the `DeliveryMetrics` hooks as
it records each outcome: a message sent (labelled by Bot API method only, never by chat), a 429, a retry; the
figures that live in the database (open rounds, pending messages and the oldest one's age) and whether this instance
is the active one are set just before each scrape (`refresh`), so they are never stale. `exposition` renders the
registry in the format the scraper asks for.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import choose_encoder

from checkins.storage import OutboxDepth

# The Bot API methods the outbox delivers with (an edit of the buttons alone is editMessageReplyMarkup).
METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument")
RETRY_REASONS = ("rate_limited", "network", "error")


class DeliveryMetrics:
    """What the outbox sender reports; a sender without metrics gets this no-op base."""

    def sent(self, method: str) -> None:
        """A request (by Bot API method) Telegram accepted for an outbox item."""

    def rate_limited(self) -> None:
        """Telegram answered 429 Too Many Requests."""

    def retried(self, reason: str) -> None:
        """An item goes back in the queue to be tried again (`reason`: one of RETRY_REASONS)."""


class Metrics(DeliveryMetrics):
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self._sent = Counter(
            "kierros_messages_sent",
            "Messages, edits, pictures and files the outbox delivered, by Bot API method",
            ["method"],
            registry=registry,
        )
        self._rate_limited = Counter(
            "kierros_telegram_rate_limited", "429 Too Many Requests answers to the outbox's requests", registry=registry
        )
        self._retries = Counter(
            "kierros_outbox_retries",
            "Outbox deliveries scheduled again after a failure, by reason",
            ["reason"],
            registry=registry,
        )
        for method in METHODS:
            self._sent.labels(method)
        for reason in RETRY_REASONS:
            self._retries.labels(reason)
        self.rounds_open = Gauge("kierros_rounds_open", "Check-in rounds open now, in all groups", registry=registry)
        self.outbox_pending = Gauge(
            "kierros_outbox_pending", "Messages waiting to go out (held ones not included)", registry=registry
        )
        self.outbox_held = Gauge(
            "kierros_outbox_held", "Messages held for people who have not started the bot yet", registry=registry
        )
        self.outbox_oldest_age = Gauge(
            "kierros_outbox_oldest_pending_age_seconds",
            "How long the oldest waiting message has been queued (0 when none waits)",
            registry=registry,
        )
        self.active = Gauge(
            "kierros_active", "1 on the instance that sends and runs the schedule, 0 on a standby", registry=registry
        )
        self.loop_lag = Gauge(
            "kierros_event_loop_lag_seconds", "How late the event loop's last heartbeat ran", registry=registry
        )

    def sent(self, method: str) -> None:
        self._sent.labels(method).inc()

    def rate_limited(self) -> None:
        self._rate_limited.inc()

    def retried(self, reason: str) -> None:
        self._retries.labels(reason).inc()

    def refresh(self, *, rounds_open: int, depth: OutboxDepth, oldest_age: float, active: bool, lag: float) -> None:
        """The figures read at scrape time."""
        self.rounds_open.set(rounds_open)
        self.outbox_pending.set(depth.pending)
        self.outbox_held.set(depth.held)
        self.outbox_oldest_age.set(oldest_age)
        self.active.set(1 if active else 0)
        self.loop_lag.set(lag)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The registry rendered for a scraper that sent this Accept header, and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
