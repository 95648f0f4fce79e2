"""The Kierros domain: config and flows, the round lifecycle, the schedule, the digest and storage — no Telegram."""
