-- Kierros schema, version 4: reliability.
-- `handled_updates` records each Telegram update that changed something, in the same transaction as the change, so
-- an update Telegram delivers again (after a crash, before its offset was confirmed) changes nothing the second time.
-- Outbox rows gain a priority (a member's own next question goes before a fan-out to hundreds), an in-flight marker
-- (set just before the request, so a restart knows which messages may already have reached Telegram) and a topic:
-- a pending row with the same chat and topic is updated in place instead of queueing another (coalesced notices).
-- `written_answers` remembers which of a member's messages answered which question, so editing that message can
-- update the draft; it hangs off `participants` and disappears with them when the round closes.

CREATE TABLE handled_updates (
    update_id INTEGER PRIMARY KEY,
    handled_at REAL NOT NULL
);

ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN topic TEXT;
CREATE UNIQUE INDEX outbox_pending_topic ON outbox(chat_id, topic) WHERE state = 'pending' AND topic IS NOT NULL;

CREATE TABLE written_answers (
    round_id TEXT NOT NULL,
    member_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    PRIMARY KEY (round_id, member_id, message_id),
    FOREIGN KEY (round_id, member_id) REFERENCES participants(round_id, member_id) ON DELETE CASCADE
) WITHOUT ROWID;
