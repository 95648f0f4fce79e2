-- Confidentiality, version 5: answers kept "only for me", the anonymous reply window, single-use invites.
-- A private answer lives in `answers` only while its round is open (so its author can still change it) and is
-- never read into a digest; closing the round deletes it. `reply_until` is when the round's secret and author tags
-- are destroyed: until then a supervisor's anonymous reply can reach an answer's author.

ALTER TABLE drafts ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE answers ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rounds ADD COLUMN reply_until REAL;
ALTER TABLE invites ADD COLUMN single_use INTEGER NOT NULL DEFAULT 0;

-- One anonymous exchange per answer: the supervisor's reply, and the author's single answer back. No member id:
-- the author is found again through the answer's tag while the round's secret exists.
CREATE TABLE reply_threads (
    id TEXT PRIMARY KEY,
    answer_id TEXT NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    supervisor_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('writing', 'sent', 'answered'))
) WITHOUT ROWID;

-- What a supervisor's or member's next text message means when it is not an answer to a question.
CREATE TABLE pending_texts (
    telegram_user_id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES reply_threads(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('supervisor', 'author'))
);
