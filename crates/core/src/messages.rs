//! What the bot says, in English and Korean.

use crate::knowledge::ArticleHit;
use crate::text::Lang;

pub fn empty_message(lang: Lang) -> String {
    match lang {
        Lang::En => "Your message arrived empty. Describe your problem in a sentence, or say \"talk to an agent\".".into(),
        Lang::Ko => "메시지가 비어 있어요. 문제를 한 문장으로 설명해 주시거나 \"상담사에게 문의\"라고 말씀해 주세요.".into(),
    }
}

pub fn too_short(lang: Lang) -> String {
    match lang {
        Lang::En => "Could you describe your problem in a full sentence? For example: \"How do I reset my password?\". You can also say \"talk to an agent\" at any time.".into(),
        Lang::Ko => "어떤 문제인지 한 문장으로 설명해 주시겠어요? 예: \"비밀번호는 어떻게 재설정하나요?\" 언제든 \"상담사에게 문의\"라고 말씀하시면 상담사에게 연결해 드려요.".into(),
    }
}

pub fn no_match(lang: Lang) -> String {
    match lang {
        Lang::En => "I couldn't find a help article for that. Describe your problem in other words, or say \"talk to an agent\" and a person will help you.".into(),
        Lang::Ko => "관련된 도움말을 찾지 못했어요. 다른 표현으로 설명해 주시거나 \"상담사에게 문의\"라고 말씀해 주시면 상담사가 도와드릴게요.".into(),
    }
}

/// The help-center answer: each article as a link with its first steps.
pub fn articles(lang: Lang, hits: &[ArticleHit]) -> String {
    let mut out = String::from(match lang {
        Lang::En => "Here is what I found in the help center:",
        Lang::Ko => "도움말 센터에서 찾은 내용이에요:",
    });
    for hit in hits {
        out.push_str(&format!("\n\n{} — {}", hit.title, hit.url));
        for line in &hit.excerpt {
            out.push_str("\n    ");
            out.push_str(line);
        }
    }
    out.push_str(match lang {
        Lang::En => "\n\nDid this answer your question?",
        Lang::Ko => "\n\n궁금한 점이 해결되었나요?",
    });
    out
}

pub fn glad_it_helped(lang: Lang) -> String {
    match lang {
        Lang::En => "Glad that helped! Write here any time if you need anything else.".into(),
        Lang::Ko => {
            "도움이 되었다니 다행이에요! 더 필요한 것이 있으면 언제든 여기에 남겨 주세요.".into()
        }
    }
}

pub fn ticket_opened(lang: Lang, number: i64, queue: &str) -> String {
    match lang {
        Lang::En => format!("I've opened ticket #{number} with the {queue} team. An agent will reply right here. You can leave and come back at any time: just write here to continue."),
        Lang::Ko => format!("{queue} 팀에 티켓 #{number}을(를) 열었어요. 상담사가 이곳으로 답변드릴 거예요. 자리를 비우셨다가 나중에 여기에 다시 쓰시면 이어서 상담할 수 있어요."),
    }
}

pub fn continue_in_private(lang: Lang, number: i64) -> String {
    match lang {
        Lang::En => format!("I've opened ticket #{number}. Let's continue in a direct message, so that your details stay private."),
        Lang::Ko => format!("티켓 #{number}을(를) 열었어요. 개인 정보 보호를 위해 다이렉트 메시지에서 이어서 상담할게요."),
    }
}

/// The person's conversations, newest first, as `/support history` shows them.
pub fn history(lang: Lang, conversations: &[crate::types::Conversation]) -> String {
    if conversations.is_empty() {
        return match lang {
            Lang::En => "You have no conversations yet. Ask a question to start one.".into(),
            Lang::Ko => "아직 상담 내역이 없어요. 질문을 남기시면 새 상담이 시작돼요.".into(),
        };
    }
    let mut out = match lang {
        Lang::En => String::from("Your conversations, newest first:"),
        Lang::Ko => String::from("최근 상담 내역이에요:"),
    };
    for c in conversations {
        let what = match c.ticket_number {
            Some(n) => format!("Ticket #{n}"),
            None => format!("Conversation {}", c.id),
        };
        let queue = c
            .queue
            .as_deref()
            .map(|q| format!(" · {q}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n• {what}{queue} · {} · started {}",
            c.state,
            crate::clock::date(c.created_at)
        ));
    }
    out
}

pub fn not_your_choice(lang: Lang) -> String {
    match lang {
        Lang::En => "Those buttons belong to another question. Ask me yours in a full sentence and I'll answer.".into(),
        Lang::Ko => "그 버튼은 다른 질문에 대한 것이에요. 궁금한 점을 문장으로 적어 주시면 답변드릴게요.".into(),
    }
}

pub fn no_queue(lang: Lang) -> String {
    match lang {
        Lang::En => {
            "Sorry, no agents can be reached from here right now. Please use the web form instead."
                .into()
        }
        Lang::Ko => {
            "죄송해요, 지금은 이곳에서 상담사에게 연결할 수 없어요. 웹 문의 양식을 이용해 주세요."
                .into()
        }
    }
}

pub fn claimed(lang: Lang, agent: &str) -> String {
    match lang {
        Lang::En => format!("{agent} is now handling your request."),
        Lang::Ko => format!("{agent} 상담사가 문의를 맡았어요."),
    }
}

pub fn solved(lang: Lang, number: i64) -> String {
    match lang {
        Lang::En => format!("Ticket #{number} has been marked as solved. If something is still wrong, just write here and it reopens."),
        Lang::Ko => format!("티켓 #{number}이(가) 해결됨으로 표시되었어요. 아직 문제가 있다면 여기에 다시 쓰시면 티켓이 다시 열려요."),
    }
}

pub fn closed(lang: Lang, number: i64, reason: Option<&str>) -> String {
    let reason_en = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    match lang {
        Lang::En => format!("Ticket #{number} has been closed{reason_en}. If you need anything else, write here: that starts a new conversation."),
        Lang::Ko => format!("티켓 #{number}이(가) 종료되었어요{reason_en}. 다른 도움이 필요하시면 여기에 새로 써 주세요. 새 상담으로 시작돼요."),
    }
}

pub fn reopened(lang: Lang, number: i64) -> String {
    match lang {
        Lang::En => format!("Ticket #{number} has been reopened. An agent will reply here."),
        Lang::Ko => {
            format!("티켓 #{number}이(가) 다시 열렸어요. 상담사가 이곳으로 답변드릴 거예요.")
        }
    }
}

/// The choices under a help-center answer.
pub fn feedback_choices(lang: Lang) -> Vec<crate::adapter::Choice> {
    let labels: [&str; 3] = match lang {
        Lang::En => [
            "Yes, that helped",
            "No, I still need help",
            "Talk to an agent",
        ],
        Lang::Ko => ["도움이 됐어요", "아직 도움이 필요해요", "상담사 연결"],
    };
    [HELPED, MORE_HELP, AGENT]
        .into_iter()
        .zip(labels)
        .map(|(value, label)| crate::adapter::Choice {
            value: value.into(),
            label: label.into(),
        })
        .collect()
}

/// Choice values the engine understands.
pub const HELPED: &str = "helped";
pub const MORE_HELP: &str = "more_help";
pub const AGENT: &str = "agent";
pub const CLAIM: &str = "claim";
pub const CLOSE: &str = "close";
pub const REOPEN: &str = "reopen";

pub const AGENT_HELP: &str = "Commands in a ticket thread: `!claim`, `!close [reason]`, `!solve`, `!reopen`, `!note <text>` (or start a line with `//`) for an internal note. Anything else is sent to the person.";
