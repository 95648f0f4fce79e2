-- Outbox at scale, version 8: with tens of thousands of items pending, taking the next batch sorted every pending
-- row by priority on each pass (cost grew faster than the queue). This index hands them over in that order, so a
-- pass reads only as far as the batch it takes; the second one keeps the unreachable-members check small.
CREATE INDEX outbox_due ON outbox(priority DESC, id) WHERE state = 'pending';
CREATE INDEX members_unreachable ON members(telegram_user_id) WHERE reachable = 0;
