-- The help desk: triage answers, priority and subject, the conversation a person is
-- in, satisfaction, blocks and transfers.

-- Each triage question answered (or skipped) in a conversation. The question asked
-- next is the first of the queue's list without a row here, so a restart resumes at
-- the same question.
create table triage_answer (
    conversation_id integer not null references conversation (id),
    question text not null,
    -- The option's id, or the words typed; null when skipped.
    answer text,
    -- As the card shows it.
    shown text,
    created_at integer not null,
    primary key (conversation_id, question)
);

alter table conversation add column priority text;
alter table conversation add column subject text;

-- The conversation the person's next message goes to: the newest, unless they chose
-- an older open one from their history.
alter table person add column current_conversation_id integer references conversation (id);
update person set current_conversation_id =
    (select max(id) from conversation where conversation.person_id = person.id);

create table satisfaction (
    conversation_id integer primary key references conversation (id),
    rating integer not null,
    comment text,
    created_at integer not null,
    updated_at integer not null
);

-- People who may not open tickets; until null: until unblocked.
create table block (
    person_id integer primary key references person (id),
    until integer,
    agent_name text not null,
    created_at integer not null
);
-- Written while blocked: kept, and shown to the agents when the block is lifted.
alter table message add column held integer not null default 0;

-- Tickets moved to another queue: the old thread points to the new one.
create table transfer (
    id integer primary key,
    conversation_id integer not null references conversation (id),
    from_adapter text not null,
    from_channel text not null,
    from_thread text not null,
    to_queue text not null,
    created_at integer not null
);
create index transfer_thread on transfer (from_adapter, from_channel, from_thread);
-- Idle conversations with the bot, for the timer that ends them.
create index conversation_state on conversation (state, updated_at);
