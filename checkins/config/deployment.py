"""How this deployment runs, as config.yaml says: where its data lives (a SQLite file or a PostgreSQL URL), how it
reaches Telegram (the Bot API address, webhook mode) and whether it serves /healthz and /metrics. Each section's reader
gives one `file:line: key: problem` for a mistake; `app.load_config` assembles the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from checkins.config.yamlsource import Node


@dataclass(frozen=True)
class WebhookConfig:
    """Receive updates by webhook instead of polling; the secret token comes from TELEGRAM_WEBHOOK_SECRET."""

    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "telegram"


@dataclass(frozen=True)
class HealthConfig:
    """Serve /healthz and /metrics over HTTP for the orchestrator and Prometheus (see README, "Health and metrics")."""

    listen: str = "127.0.0.1"
    port: int = 9464


def relative_to_config(root: Node, value: str) -> Path:
    """Relative paths in config.yaml mean "next to config.yaml", wherever the bot is started from."""
    return (root.file.parent / Path(value).expanduser()).resolve()


def storage_path(root: Node) -> Path:
    storage = root.section("storage")
    storage.reject_unknown_keys(("path", "url"))
    return relative_to_config(root, storage.get("path", str, "data/kierros.sqlite3"))


def storage_url(root: Node) -> str | None:
    """`storage.url`: a PostgreSQL database, e.g. postgresql://kierros@db.example.fi/kierros."""
    storage = root.section("storage")
    url = storage.get("url", str, None)
    if url is None:
        return None
    if storage.get("path", str, None) is not None:
        raise storage.error("give either path (SQLite) or url (PostgreSQL), not both", "url")
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise storage.error("must start with postgresql:// (or leave it out to use SQLite)", "url")
    if parts.password is not None or "password=" in parts.query:
        raise storage.error("no password here: put it in the PGPASSWORD environment variable or in ~/.pgpass", "url")
    return url


def api_base_url(root: Node) -> str | None:
    telegram = root.section("telegram")
    telegram.reject_unknown_keys(("api_base_url", "flood_limits", "webhook"))
    url = telegram.get("api_base_url", str, None)
    if url is not None and not url.startswith(("http://", "https://")):
        raise telegram.error(f"must start with http:// or https:// (got '{url}')", "api_base_url")
    return url


def webhook(root: Node) -> WebhookConfig | None:
    telegram = root.section("telegram")
    if telegram.optional("webhook") is None:
        return None
    webhook = telegram.section("webhook")
    webhook.reject_unknown_keys(("url", "listen", "port", "path"))
    url = webhook.require("url", str)
    if not url.startswith("https://"):
        raise webhook.error(f"Telegram delivers webhooks only to https:// addresses (got '{url}')", "url")
    return WebhookConfig(
        url=url,
        listen=webhook.get("listen", str, "127.0.0.1"),
        port=webhook.get("port", int, 8443, minimum=1, maximum=65535),
        path=webhook.get("path", str, "telegram").strip("/"),
    )


def health(root: Node) -> HealthConfig | None:
    if root.optional("health") is None:
        return None
    health = root.section("health")
    health.reject_unknown_keys(("listen", "port"))
    defaults = HealthConfig()
    return HealthConfig(
        listen=health.get("listen", str, defaults.listen),
        port=health.get("port", int, defaults.port, minimum=1, maximum=65535),
    )
