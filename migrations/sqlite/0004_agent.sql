-- Agents as their platforms know them: a ticket's assignee is recorded by id, and its
-- name (conversation.assignee) is what was shown when it was assigned. Tickets assigned
-- before this keep a name and no id.
create table agent (
    id integer primary key,
    platform text not null,
    platform_user_id text not null,
    display_name text not null,
    created_at integer not null,
    updated_at integer not null,
    unique (platform, platform_user_id)
);

alter table conversation add column assignee_id integer references agent (id);

