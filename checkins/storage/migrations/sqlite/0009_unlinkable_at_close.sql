-- Confidentiality against a determined adversary, version 9.
-- Submitted answers stay in `drafts` (linked to their member, as they were before submitting) until the round
-- closes; closing writes the round's answers to `answers` in one shuffled batch and drops the drafts, so neither the
-- table nor the pages on disk keep who submitted when. `reply_ok` is the member's own choice, per answer, to let
-- the supervisor reply anonymously: only those answers keep an author tag after close, and a round where nobody
-- allowed a reply loses its secret at close. `attributed_consent` records, per membership, that the member agreed
-- to their answers being read under their name (individual supervision); an attributed digest needs it.
-- Answers an older version already wrote to `answers` in a round still open keep counting at its close, untagged.
ALTER TABLE drafts ADD COLUMN reply_ok INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN attributed_consent INTEGER NOT NULL DEFAULT 0;
-- Delivered outbox rows are deleted as soon as nothing refers to them; this finds a member's current screen fast.
CREATE INDEX participants_by_prompt ON participants(prompt_outbox_id) WHERE prompt_outbox_id IS NOT NULL;
