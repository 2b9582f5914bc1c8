//! Korean.

use super::Catalogue;
use crate::types::{Conversation, State};

/// The Korean catalogue.
pub struct Ko;

fn state_word(state: State) -> &'static str {
    match state {
        State::Bot => "자동 응답",
        State::Triage => "분류 중",
        State::Verifying => "본인 확인 중",
        State::Queued => "대기 중",
        State::Assigned => "처리 중",
        State::Solved => "해결됨",
        State::Closed => "종료됨",
    }
}

impl Catalogue for Ko {
    fn empty_message(&self) -> String {
        "메시지가 비어 있어요. 문제를 한 문장으로 설명해 주시거나 \"상담사에게 문의\"라고 말씀해 주세요.".into()
    }

    fn too_short(&self) -> String {
        "어떤 문제인지 한 문장으로 설명해 주시겠어요? 예: \"비밀번호는 어떻게 재설정하나요?\" 언제든 \"상담사에게 문의\"라고 말씀하시면 상담사에게 연결해 드려요.".into()
    }

    fn no_match(&self) -> String {
        "관련된 도움말을 찾지 못했어요. 다른 표현으로 설명해 주시거나 \"상담사에게 문의\"라고 말씀해 주시면 상담사가 도와드릴게요.".into()
    }

    fn articles_intro(&self) -> &'static str {
        "도움말 센터에서 찾은 내용이에요:"
    }

    fn articles_question(&self) -> &'static str {
        "궁금한 점이 해결되었나요?"
    }

    fn feedback_labels(&self) -> [&'static str; 3] {
        ["도움이 됐어요", "아직 도움이 필요해요", "상담사 연결"]
    }

    fn glad_it_helped(&self) -> String {
        "도움이 되었다니 다행이에요! 더 필요한 것이 있으면 언제든 여기에 남겨 주세요.".into()
    }

    fn not_relayed(&self, number: i64) -> String {
        format!("방금 보낸 메시지를 지금은 상담팀에 전달하지 못했어요. 메시지는 티켓 #{number}에 보관되어 있고, 상담팀이 그곳에서 확인해요.")
    }

    fn ticket_opened(&self, number: i64, queue: &str) -> String {
        format!("{queue} 팀에 티켓 #{number}을(를) 열었어요. 상담사가 이곳으로 답변드릴 거예요. 자리를 비우셨다가 나중에 여기에 다시 쓰시면 이어서 상담할 수 있어요.")
    }

    fn continue_in_private(&self, number: i64) -> String {
        format!("티켓 #{number}을(를) 열었어요. 개인 정보 보호를 위해 다이렉트 메시지에서 이어서 상담할게요.")
    }

    fn no_history(&self) -> String {
        "아직 상담 내역이 없어요. 질문을 남기시면 새 상담이 시작돼요.".into()
    }

    fn history_intro(&self) -> &'static str {
        "최근 상담 내역이에요:"
    }

    fn history_line(&self, c: &Conversation, date: &str) -> String {
        let what = match c.ticket_number {
            Some(n) => format!("티켓 #{n}"),
            None => format!("상담 {}", c.id),
        };
        let queue = c
            .queue
            .as_deref()
            .map(|q| format!(" · {q}"))
            .unwrap_or_default();
        format!("• {what}{queue} · {} · {date} 시작", state_word(c.state))
    }

    fn not_your_choice(&self) -> String {
        "그 버튼은 다른 질문에 대한 것이에요. 궁금한 점을 문장으로 적어 주시면 답변드릴게요.".into()
    }

    fn no_queue(&self) -> String {
        "죄송해요, 지금은 이곳에서 상담사에게 연결할 수 없어요. 웹 문의 양식을 이용해 주세요."
            .into()
    }

    fn claimed(&self, agent: &str) -> String {
        format!("{agent} 상담사가 문의를 맡았어요.")
    }

    fn solved(&self, number: i64) -> String {
        format!("티켓 #{number}이(가) 해결됨으로 표시되었어요. 아직 문제가 있다면 여기에 다시 쓰시면 티켓이 다시 열려요.")
    }

    fn closed(&self, number: i64, reason: Option<&str>) -> String {
        let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
        format!("티켓 #{number}이(가) 종료되었어요{reason}. 다른 도움이 필요하시면 여기에 새로 써 주세요. 새 상담으로 시작돼요.")
    }

    fn closed_after_solved(&self, number: i64, days: &str) -> String {
        format!("티켓 #{number}은(는) {days}일 전에 해결되어 이제 종료되었어요. 다른 도움이 필요하시면 여기에 새로 써 주세요. 새 상담으로 시작돼요.")
    }

    fn reopened(&self, number: i64) -> String {
        format!("티켓 #{number}이(가) 다시 열렸어요. 상담사가 이곳으로 답변드릴 거예요.")
    }

    fn answered_in_private(&self) -> &'static str {
        "다이렉트 메시지로 답변드렸어요."
    }

    fn panel_text(&self) -> &'static str {
        "도움이 필요하신가요? 버튼을 누르면 비공개로 이야기할 수 있어요."
    }

    fn command_description(&self) -> &'static str {
        "고객지원에 질문하거나 지난 대화를 봅니다"
    }

    fn command_option(&self) -> &'static str {
        "질문, 또는 \"history\""
    }

    fn panel_button(&self) -> &'static str {
        "고객지원 문의"
    }

    fn suggestions_intro(&self) -> &'static str {
        "이 글들이 도움이 될 수 있어요:"
    }

    fn suggestion_buttons(&self) -> [&'static str; 2] {
        ["해결됐어요", "상담사에게 문의"]
    }

    fn not_your_post(&self) -> &'static str {
        "질문하신 분만 답할 수 있어요."
    }

    fn not_taken(&self) -> &'static str {
        "죄송해요, 지금은 요청을 받을 수 없었어요. 잠시 후 다시 시도해 주세요."
    }

    fn edited(&self, text: &str) -> String {
        format!("(수정됨) {text}")
    }

    fn deleted(&self) -> &'static str {
        "(메시지를 삭제했어요)"
    }

    fn file_sent(&self, who: &str) -> String {
        format!("{who} 님이 파일을 보냈어요")
    }

    fn file_too_large(&self, who: Option<&str>, name: &str, mb: u64, url: &str) -> String {
        match who {
            Some(who) => format!("{who} 님이 {name}을(를) 보냈어요. {mb} MB보다 커서 여기에 복사하지 않았어요: {url}"),
            None => format!("{name}은(는) {mb} MB보다 커서 여기에 복사하지 않았어요: {url}"),
        }
    }

    fn agent_help(&self) -> &'static str {
        "티켓 스레드 명령: `!claim`, `!close [사유]`, `!solve`, `!reopen`, 내부 메모는 `!note <내용>` (또는 `//`로 시작). 그 밖의 내용은 고객에게 전달돼요."
    }

    fn anonymous_agent(&self) -> &'static str {
        "고객지원"
    }

    fn person_reopened(&self) -> &'static str {
        "고객이 다시 메시지를 보내 티켓이 다시 열렸어요."
    }

    fn not_an_agent(&self) -> &'static str {
        "이 대기열의 채널을 볼 수 있는 상담사만 티켓을 처리할 수 있어요."
    }

    fn card_from_post(&self, link: &str) -> String {
        format!("공개 게시물에서 옴: {link}")
    }

    fn delivery_failed(&self, error: &str) -> String {
        format!("고객에게 메시지를 전달하지 못했어요 ({error}). 메시지는 상담에 남아 있고, 고객이 다시 쓰면 새 답변을 볼 수 있어요.")
    }

    fn delivery_delayed(&self, platform: &str, error: &str) -> String {
        format!("고객에게 보낼 답변이 대기 중이에요: 지금 {platform}에서 메시지를 받지 않아요 ({error}). 답변은 보관되어 있고, 다시 받기 시작하면 순서대로 전달돼요.")
    }

    fn claimed_by(&self, agent: &str) -> String {
        format!("{agent} 님이 맡았어요.")
    }

    fn took_over(&self, agent: &str, number: i64, previous: &str) -> String {
        format!("{agent} 님이 {previous} 님에게서 티켓 #{number}을(를) 넘겨받았어요.")
    }

    fn solved_by(&self, agent: &str) -> String {
        format!("{agent} 님이 해결됨으로 표시했어요. 고객이 다시 쓰지 않으면 자동으로 종료돼요.")
    }

    fn closed_by(&self, agent: &str, reason: Option<&str>) -> String {
        let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
        format!("{agent} 님이 종료했어요{why}.")
    }

    fn closed_by_timer(&self, days: &str) -> String {
        format!("종료됨: {days}일 전에 해결되었고 고객이 다시 쓰지 않았어요.")
    }

    fn already(&self, number: i64, state: State) -> String {
        format!("티켓 #{number}은(는) 이미 {} 상태예요.", state_word(state))
    }

    fn kept_as_note(&self, number: i64) -> String {
        format!("티켓 #{number}은(는) 종료되어 이 내용은 메모로만 남기고 보내지 않았어요. 고객에게 쓰려면 먼저 `!reopen` 하세요.")
    }

    fn open_already(&self, number: i64) -> String {
        format!("티켓 #{number}은(는) 이미 열려 있어요.")
    }

    fn newer_conversation(&self, id: i64) -> String {
        format!("고객이 그 뒤로 새 상담(#{id})을 시작했어요. 그곳에서 답변해 주세요.")
    }

    fn reopened_by(&self, agent: &str) -> String {
        format!("{agent} 님이 다시 열었어요.")
    }

    fn transcript_intro(&self) -> &'static str {
        "지금까지의 대화:"
    }

    fn transcript_bot(&self) -> &'static str {
        "봇"
    }

    fn card_title(&self, number: i64, queue: &str) -> String {
        format!("티켓 #{number} · {queue}")
    }

    fn card_from(&self, name: &str, platform: &str, id: &str, identity: &str) -> String {
        format!("요청자: {name} ({platform} {id}) · {identity}")
    }

    fn card_verified(&self, email: &str, by: &str) -> String {
        format!("{email} ({by} 인증)")
    }

    fn card_unverified(&self) -> &'static str {
        "미인증"
    }

    fn card_language(&self, lang: &str) -> String {
        format!("언어: {lang}")
    }

    fn card_priority(&self, priority: &str) -> String {
        format!("우선순위: {priority}")
    }

    fn card_continues(&self, previous: i64) -> String {
        format!("이전 상담 {previous}에서 이어짐")
    }

    fn card_hint(&self) -> &'static str {
        "이 스레드에 답하면 고객에게 전달돼요. !claim, !close [사유], 내부 메모는 !note <내용> 또는 //."
    }

    fn card_status(&self, state: State, assignee: Option<&str>, reason: Option<&str>) -> String {
        match state {
            State::Assigned => format!("상태: {} 님이 처리 중", assignee.unwrap_or("상담사")),
            State::Solved => "상태: 해결됨".to_string(),
            State::Closed => format!("상태: 종료됨 ({})", reason.unwrap_or("종료")),
            _ => "상태: 상담사 대기 중".to_string(),
        }
    }

    fn card_buttons(&self) -> [&'static str; 3] {
        ["맡기", "종료", "다시 열기"]
    }

    fn console_ticket_open(&self, number: i64, queue: &str) -> String {
        format!("티켓 #{number} ({queue})이(가) 열려 있어요: /agent 가 그곳에 답해요.")
    }

    fn console_agent_usage(&self) -> &'static str {
        "`/agent <답변>`, 또는 `/agent !close 사유`, `/agent !note 메모` 처럼 쓰세요."
    }

    fn console_no_ticket(&self) -> &'static str {
        "이 콘솔에는 아직 열린 티켓이 없어요: /agent 가 답할 곳이 없어요."
    }

    fn console_hello(&self) -> &'static str {
        "relaydesk 콘솔이에요. 질문을 입력하세요. `/help`로 명령을 볼 수 있어요."
    }

    fn console_send_again(&self, error: &str) -> String {
        format!("{error}. 다시 보내 주세요.")
    }

    fn console_welcome(&self) -> &'static str {
        "도움을 요청하는 사람으로 입력하세요. `/agent <내용>`은 현재 티켓의 상담사로 답해요 \
         (`/agent !close 사유`, `/agent !note 메모`, `/agent !claim`). `/quit` 또는 Ctrl-D로 나가요."
    }
}
