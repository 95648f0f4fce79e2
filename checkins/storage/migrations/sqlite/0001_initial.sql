-- Kierros schema, version 1.
-- Confidentiality shapes this schema: a submitted answer (table `answers`) carries no member id, no timestamp and
-- no insertion order (random primary key, WITHOUT ROWID). While a round is open the only link from an answer to
-- its author is `author_tag`, an HMAC under the round's own secret; closing the round clears the tags and destroys
-- the secret. Drafts and per-round progress are linked to members only while the round is open.

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL UNIQUE,
    language TEXT NOT NULL,
    -- Names are kept only to scrub them from free text before it reaches a digest.
    first_name TEXT,
    last_name TEXT,
    username TEXT,
    reachable INTEGER NOT NULL DEFAULT 1,
    -- The round a plain text message answers when a member is in several groups.
    focus_round_id TEXT
);

CREATE TABLE memberships (
    group_id TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;

CREATE TABLE invites (
    token TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX invites_by_group ON invites(group_id);

CREATE TABLE rounds (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    flow_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_at REAL NOT NULL,
    closed_at REAL,
    secret BLOB,
    invited_count INTEGER NOT NULL DEFAULT 0,
    submitted_count INTEGER,
    UNIQUE (group_id, number)
) WITHOUT ROWID;
-- At most one open round per group, enforced by the database itself.
CREATE UNIQUE INDEX one_open_round_per_group ON rounds(group_id) WHERE state = 'open';

CREATE TABLE participants (
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('answering', 'review', 'submitted')),
    cursor INTEGER NOT NULL DEFAULT 0,
    editing_one INTEGER NOT NULL DEFAULT 0,
    multi_selection TEXT,
    prompt_outbox_id INTEGER,
    PRIMARY KEY (round_id, member_id)
) WITHOUT ROWID;

CREATE TABLE drafts (
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (round_id, member_id, question_id)
) WITHOUT ROWID;

CREATE TABLE answers (
    id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    author_tag BLOB UNIQUE,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX answers_by_round ON answers(round_id, question_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'edit', 'photo', 'document')),
    payload TEXT,
    dedupe_key TEXT UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    message_id INTEGER
);
CREATE INDEX outbox_pending ON outbox(not_before) WHERE state = 'pending';
CREATE INDEX outbox_pending_by_chat ON outbox(chat_id, id) WHERE state = 'pending';
