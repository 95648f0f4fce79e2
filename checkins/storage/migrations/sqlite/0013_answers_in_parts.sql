-- Kierros schema, version 13: answers written in several messages, and declining a round.
-- A text answer may be written as several messages: `written_answers.part` keeps each message's text while the
-- member drafts, so editing any one of them rebuilds the answer; it is cleared at submit and goes with the
-- participant at close. `participants.composing` says the member is still writing the current text question (a
-- message adds to its answer until they press Next). `participants.declined` is a member's "not this round": no
-- more reminders; at close only their number is kept, in `rounds.declined_count`, never who.
-- `participants.remind_at` is one more reminder a member asked for ("remind me later").

ALTER TABLE written_answers ADD COLUMN part TEXT;
ALTER TABLE participants ADD COLUMN composing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN declined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN remind_at REAL;
ALTER TABLE rounds ADD COLUMN declined_count INTEGER NOT NULL DEFAULT 0;
