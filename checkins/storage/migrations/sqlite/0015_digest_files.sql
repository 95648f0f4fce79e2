-- Digest files, version 15: a closed round's chart and printable report (HTML and PDF) are drawn after the closing
-- transaction has committed, so that drawing never holds the database or blocks a close. This row says that a
-- round's files are still to be drawn and queued; it is written with the digest message and removed when the files
-- are queued (or drawing gave up), so a restart in between draws them then.
CREATE TABLE pending_digest_files (
    dedupe TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    round_number INTEGER NOT NULL,
    queued_at REAL NOT NULL
);
