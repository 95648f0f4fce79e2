-- The member's review of redaction, version 20: words the scrubber took for names of people nobody configured and
-- the member put back ("Wilma", a pet's name), as a JSON list per answer. They travel with the draft into the
-- submitted answer (keyed like it, by the author tag, so they link nothing new) and are honoured when the round's
-- texts are scrubbed at close. Words a member removes by hand are replaced in the draft text itself.
ALTER TABLE drafts ADD COLUMN kept TEXT;
ALTER TABLE answers ADD COLUMN kept TEXT;
