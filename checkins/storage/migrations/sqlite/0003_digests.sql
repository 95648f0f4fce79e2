-- Kierros schema, version 3: per-round statistics for the digest's trends and goal progress.
-- One row per question of a closed round that met its anonymity threshold: how many answered, how many gave each
-- answer value (JSON object), and for scales the mean and median. Aggregates only, never a row per person, so they
-- may outlive the answers themselves (retention) and let later digests compare rounds.

CREATE TABLE question_stats (
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    responses INTEGER NOT NULL,
    counts TEXT NOT NULL,
    mean REAL,
    median REAL,
    PRIMARY KEY (round_id, question_id)
) WITHOUT ROWID;
