-- Calendar edges, version 17: rounds whose whole window passed while the bot was down are reported, not forgotten.

-- Up to when the timer last looked at the calendar (one row). A round that opened and closed after this moment
-- with nobody looking was missed; a new database starts with no row, so an old calendar reports nothing.
CREATE TABLE schedule_seen (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seen_until REAL NOT NULL
);

-- Missed rounds the supervisor has been told about, so each is told once.
CREATE TABLE missed_rounds (
    group_id TEXT NOT NULL,
    session_key TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    PRIMARY KEY (group_id, session_key, flow_id)
) WITHOUT ROWID;
