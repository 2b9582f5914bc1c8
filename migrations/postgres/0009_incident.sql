-- Incidents an operator declares (`relaydesk incident open`): the status page and the
-- help center show the open one. At most one is open at a time.

create table incident (
    id bigint generated always as identity primary key,
    text text not null,
    opened_at bigint not null,
    closed_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index incident_open on incident ((closed_at is null)) where closed_at is null;
