-- Incidents an operator declares (`relaydesk incident open`): the status page and the
-- help center show the open one. At most one is open at a time.

create table incident (
    id integer primary key,
    text text not null,
    opened_at integer not null,
    closed_at integer,
    created_at integer not null,
    updated_at integer not null
);
create unique index incident_open on incident ((closed_at is null)) where closed_at is null;
