-- Version 24: updates a standby instance received by webhook (behind a load balancer), kept until the active one has
-- handled them. The payload holds answer text and names, so a row lives only for the moment in transit.
CREATE TABLE inbound_updates (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at REAL NOT NULL
);
