-- The web side: "My activity" sign-in links and sessions (kept only as SHA-256 hashes
-- of their tokens), and the request form's submissions, for its hourly limits.

create table web_signin (
    token_hash text primary key,
    -- Lower case.
    email text not null,
    expires_at integer not null,
    used_at integer,
    created_at integer not null
);
create index web_signin_email on web_signin (email, created_at);

create table web_session (
    token_hash text primary key,
    email text not null,
    expires_at integer not null,
    created_at integer not null
);

create table web_submission (
    id integer primary key,
    email text not null,
    ip text not null,
    created_at integer not null
);
create index web_submission_email on web_submission (email, created_at);
create index web_submission_ip on web_submission (ip, created_at);
