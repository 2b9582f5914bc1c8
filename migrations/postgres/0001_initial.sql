-- People as their platforms know them.
create table person (
    id bigint generated always as identity primary key,
    platform text not null,
    platform_user_id text not null,
    display_name text not null,
    verified_email text,
    created_at bigint not null,
    updated_at bigint not null,
    unique (platform, platform_user_id)
);

create table conversation (
    id bigint generated always as identity primary key,
    person_id bigint not null references person (id),
    state text not null,
    user_adapter text not null,
    user_channel text not null,
    user_thread text,
    lang text not null,
    queue text,
    ticket_number bigint unique,
    agent_adapter text,
    agent_channel text,
    agent_thread text,
    assignee text,
    close_reason text,
    previous_id bigint references conversation (id),
    offered_choices text not null default '[]',
    solved_at bigint,
    closed_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index conversation_person on conversation (person_id, id);
create index conversation_thread on conversation (agent_adapter, agent_channel, agent_thread);

create table message (
    id bigint generated always as identity primary key,
    conversation_id bigint not null references conversation (id),
    author text not null,
    author_name text not null,
    body text not null,
    source_adapter text,
    source_channel text,
    source_message_id text,
    created_at bigint not null
);
create index message_conversation on message (conversation_id, id);
create index message_source on message (source_adapter, source_channel, source_message_id);

-- Inbound events already handled, so that a redelivery is recognised.
create table inbound_seen (
    adapter text not null,
    channel text not null,
    message_id text not null,
    created_at bigint not null,
    primary key (adapter, channel, message_id)
);

create table outbox (
    id bigint generated always as identity primary key,
    conversation_id bigint not null references conversation (id),
    message_id bigint references message (id),
    parent_id bigint references outbox (id),
    adapter text not null,
    channel text not null,
    thread text,
    kind text not null,
    body text not null,
    sender text,
    choices text not null default '[]',
    idempotency_key text not null unique,
    state text not null default 'pending',
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    claimed_by text,
    claimed_until bigint,
    platform_message_id text,
    last_error text,
    delivered_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
-- Pending rows in delivery order; and the few pending rows that were claimed or put
-- off, which hold back the rows behind them in their channel.
create index outbox_pending on outbox (id) where state = 'pending';
create index outbox_held on outbox (adapter, channel, id)
    where state = 'pending' and (claimed_until is not null or next_attempt_at > created_at);
create index outbox_conversation on outbox (conversation_id, kind);

-- Help-center answers and what people said of them: the deflection figures.
create table kb_answer (
    id bigint generated always as identity primary key,
    conversation_id bigint not null references conversation (id),
    message_id bigint not null references message (id),
    question text not null,
    articles text not null,
    feedback text,
    created_at bigint not null,
    updated_at bigint not null
);
create index kb_answer_conversation on kb_answer (conversation_id, id);

create table counter (
    name text primary key,
    value bigint not null
);
insert into counter (name, value) values ('ticket', 0);

-- New outbox rows wake every relaydesk process (LISTEN relaydesk_outbox); the
-- notification is sent when the transaction commits.
create function outbox_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('relaydesk_outbox', '');
    return null;
end;
$$;
create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify();
