-- Version 19: a message to a person who has not started the bot (Telegram: 403 "bot can't initiate conversation")
-- is held, not dropped: it stays pending with the time it is given up at, and goes out after the person's first
-- /start. A held item heads its chat's queue, so what is queued behind it waits too and the order is kept.
ALTER TABLE outbox ADD COLUMN held_until REAL;
CREATE INDEX outbox_held ON outbox(chat_id, id) WHERE state = 'pending' AND held_until IS NOT NULL;
