-- Identity and email: how each chat identity was verified, verification attempts,
-- pending away emails, the email outbox and unsubscribes.

-- How the verified email was verified (`slack`, `email code`, `signed link`) and when;
-- a person with the same verified email on another platform is the same requester.
alter table person add column verified_by text;
alter table person add column verified_at integer;
create index person_email on person (lower(verified_email));

-- One attempt at verifying a conversation's person: by a code mailed to `email`, or by
-- a signed link whose one-time state is `secret_hash`. Codes and states are kept only
-- as salted SHA-256 hashes.
create table verification (
    id integer primary key,
    conversation_id integer not null references conversation (id),
    person_id integer not null references person (id),
    -- `code` or `link`.
    method text not null,
    -- The address typed (codes), or the one the signed token gave; lower case.
    email text,
    salt text,
    secret_hash text,
    expires_at integer,
    -- Wrong codes typed, or tokens refused for a link.
    tries integer not null default 0,
    -- The signed token that completed a link, hashed: no token verifies twice.
    token_hash text,
    -- `asking` (an email), `sent`, `done`, `spent` (tries used up), `cancelled`.
    status text not null,
    created_at integer not null,
    updated_at integer not null
);
create index verification_conversation on verification (conversation_id, id);
create index verification_secret on verification (secret_hash);
create index verification_person on verification (person_id, created_at);
create index verification_email on verification (email, created_at);
create unique index verification_token on verification (token_hash);

-- A conversation's away email: waiting for the replies of its batch window (`due_at`
-- set), or, once written to the outbox or dropped because the person came back,
-- remembering from when the next one tells (`due_at` null).
create table away_notice (
    conversation_id integer primary key references conversation (id),
    -- The first reply it tells of.
    since integer not null,
    due_at integer
);
create index away_notice_due on away_notice (due_at);

-- Every email but the one-time code, written before it is sent.
create table email (
    id integer primary key,
    -- Writing the same email twice writes one row.
    key text not null unique,
    to_address text not null,
    subject text not null,
    text_body text not null,
    html_body text not null,
    unsubscribe_url text,
    -- `pending`, `sending` (claimed until `due_at`), `sent`, `failed`.
    status text not null,
    attempts integer not null default 0,
    due_at integer not null,
    last_error text,
    created_at integer not null,
    sent_at integer
);
create index email_due on email (status, due_at);

-- One row per requester (verified email): the token of their unsubscribe link, and
-- whether they used it.
create table email_optout (
    email text primary key,
    token text not null unique,
    unsubscribed_at integer
);
