-- The engine's timer looks for solved tickets whose time is up.
create index conversation_solved on conversation (solved_at) where state = 'solved';
