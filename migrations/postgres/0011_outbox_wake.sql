-- New outbox rows no longer notify from inside the transaction: a transaction that
-- has queued a NOTIFY takes a lock for the whole cluster while it commits, so commits
-- could not be flushed together. The store sends one NOTIFY after the commits that
-- enqueued rows, coalescing those that come together.
drop trigger if exists outbox_notify on outbox;
drop function if exists outbox_notify();
