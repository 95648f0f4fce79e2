-- Version 23: when each pending message was queued (or released after being held), so /healthz and /metrics can
-- say how long the oldest one has been waiting. Rows queued before this version have none and are not counted.
ALTER TABLE outbox ADD COLUMN queued_at REAL;
