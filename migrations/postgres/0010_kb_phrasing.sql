-- Phrasings the desk taught the help center: a person's question that an article
-- answered ("Yes, that helped", source `helped`) or that an agent answered with
-- `!article <id>` (source `agent`). The help center searches each with its article;
-- `relaydesk kb phrasings list|remove` reviews them. One row per article and question.

create table kb_phrasing (
    id bigint generated always as identity primary key,
    article_id text not null,
    question text not null,
    source text not null,
    conversation_id bigint references conversation (id),
    created_at bigint not null
);
create unique index kb_phrasing_article_question on kb_phrasing (article_id, question);
