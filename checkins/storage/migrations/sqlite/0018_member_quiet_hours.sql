-- Per-member timing, version 18: a member's own time zone and quiet hours, and the prompts and reminders held back
-- until that member's quiet hours end.

-- NULL: the group's. Times are "HH:MM" on the member's clock.
ALTER TABLE member_settings ADD COLUMN timezone TEXT;
ALTER TABLE member_settings ADD COLUMN quiet_start TEXT;
ALTER TABLE member_settings ADD COLUMN quiet_end TEXT;

-- A scheduled round's first question or a reminder that waits for the end of one member's quiet hours (always
-- before the round's close). `released_at` is set when it went out; a prompt's release time keeps that member's
-- reminders the reminder gap after it. Nothing here says anything about answers.
CREATE TABLE held_messages (
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('prompt', 'reminder')),
    due_at REAL NOT NULL,
    -- For a reminder: which of the round's reminders it is (for its dedupe key).
    number INTEGER NOT NULL DEFAULT 0,
    released_at REAL,
    PRIMARY KEY (round_id, member_id, kind)
) WITHOUT ROWID;
CREATE INDEX held_messages_due ON held_messages(due_at) WHERE released_at IS NULL;
