-- Supervision processes, version 6: a group's process can be finished (by /finish or its end date). After that no
-- rounds open and retention counts from the last close.
CREATE TABLE finished_groups (
    group_id TEXT PRIMARY KEY,
    finished_at REAL NOT NULL
) WITHOUT ROWID;
