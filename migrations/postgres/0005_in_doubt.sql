-- A row whose last send may have reached the platform without an answer being recorded
-- (its process died holding the claim, or the call got no answer): before it is sent
-- again, an adapter that can look for it on the platform does so.
alter table outbox add column in_doubt integer not null default 0;
