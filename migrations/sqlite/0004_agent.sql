-- Agents as their platforms know them: a ticket's assignee is recorded by id, and its
-- name (conversation.assignee) is what was shown when it was assigned.
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

-- Tickets assigned before agents had ids keep their assignee as an agent of its own.
insert into agent (platform, platform_user_id, display_name, created_at, updated_at)
select distinct 'legacy', assignee, assignee, 0, 0 from conversation where assignee is not null;

update conversation set assignee_id =
    (select a.id from agent a where a.platform = 'legacy' and a.platform_user_id = conversation.assignee)
where assignee is not null;
