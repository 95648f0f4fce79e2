-- Round numbers per flow, version 16: "round 3" of a group's check-ins counted every flow's rounds together, so the
-- second check-in could be "round 3" after a reflection in between. `number` stays the group's running number (what
-- /rounds lists and /digest takes); `flow_number` counts the rounds of one flow in the group: what digests show, and
-- what rotation (`every`) counts. Existing rounds are numbered in the order they were opened.
ALTER TABLE rounds ADD COLUMN flow_number INTEGER NOT NULL DEFAULT 0;
UPDATE rounds SET flow_number = (
    SELECT COUNT(*) FROM rounds AS earlier
    WHERE earlier.group_id = rounds.group_id AND earlier.flow_id = rounds.flow_id AND earlier.number <= rounds.number
);
CREATE UNIQUE INDEX rounds_flow_number ON rounds(group_id, flow_id, flow_number);
