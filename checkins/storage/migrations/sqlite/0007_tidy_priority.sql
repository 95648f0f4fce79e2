-- Outbox priorities, version 7: a third level between a member's next screen and a fan-out. Marking an answered
-- question as answered (an edit) waits behind other members' next questions but not behind a fan-out; what was
-- "interactive" (1) becomes 2, and every insert now names its priority.
UPDATE outbox SET priority = 2 WHERE priority = 1;
