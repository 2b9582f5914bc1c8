-- Outbox rows that change or remove what another row posted, and files.
alter table outbox add column action text not null default 'post';
alter table outbox add column target_id bigint references outbox (id);
alter table outbox add column files text not null default '[]';
create index outbox_message on outbox (message_id) where message_id is not null;

-- Edits and deletions where a message was written; files that came with it.
alter table message add column files text not null default '[]';
alter table message add column edited_at bigint;
alter table message add column deleted_at bigint;
