-- Kierros schema, version 2: rounds on a calendar, member settings, and group chats that get announcements.
-- Nothing here links an answer to a member: a scheduled round is tied to a session, settings to a member.

-- A round the scheduler opened, bound to one session and one flow: the primary key is what makes opening
-- idempotent — a timer firing twice, or a restart in the middle of opening, cannot create a second round.
CREATE TABLE scheduled_rounds (
    group_id TEXT NOT NULL,
    session_key TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    round_id TEXT NOT NULL UNIQUE REFERENCES rounds(id) ON DELETE CASCADE,
    -- How many of the timeline's reminders have gone out (committed with the reminders themselves).
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, session_key, flow_id)
) WITHOUT ROWID;

-- Sessions a supervisor cancelled with /skip (dates cancelled in config.yaml never get this far).
CREATE TABLE skipped_sessions (
    group_id TEXT NOT NULL,
    session_key TEXT NOT NULL,
    PRIMARY KEY (group_id, session_key)
) WITHOUT ROWID;

-- "The calendar runs out" notices already sent, per last session, so each is sent once.
CREATE TABLE calendar_notices (
    group_id TEXT NOT NULL,
    last_session_key TEXT NOT NULL,
    PRIMARY KEY (group_id, last_session_key)
) WITHOUT ROWID;

-- A member's own choices; no row means the defaults (reminders on, not paused).
CREATE TABLE member_settings (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    reminders INTEGER NOT NULL DEFAULT 1,
    paused INTEGER NOT NULL DEFAULT 0,
    -- With paused = 1: prompts resume at this moment; NULL means "until /resume".
    paused_until REAL
);

-- A Telegram group chat linked with /link: it gets a short note when a round opens, never answers or counts.
CREATE TABLE group_chats (
    group_id TEXT PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    deep_link TEXT NOT NULL
) WITHOUT ROWID;

-- Members who were paused when the round opened: not asked, not counted in "N of M answered".
ALTER TABLE rounds ADD COLUMN paused_count INTEGER NOT NULL DEFAULT 0;

-- A group may now have several rounds open at once (a check-in and an evaluation), but one per flow.
DROP INDEX one_open_round_per_group;
CREATE UNIQUE INDEX one_open_round_per_group_flow ON rounds(group_id, flow_id) WHERE state = 'open';
