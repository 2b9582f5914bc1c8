//! Every word of the web pages, in English and Korean.
//!
//! A sentence with a value names it in braces (`{n}`, `{email}`, `{max}`); [`fill`]
//! puts the value in. Korean is written in the polite 해요 style throughout, with
//! 합니다 only in fixed headings.

use crate::lang::Lang;

/// The interface strings of one language.
// Each page reads only its own strings, and a page being written may not read them yet.
#[allow(dead_code)]
#[derive(Debug)]
pub(crate) struct Ui {
    // Layout.
    /// The site's name in the header.
    pub(crate) site_name: &'static str,
    /// The skip link to the main content.
    pub(crate) skip_to_content: &'static str,
    /// The label of the main navigation.
    pub(crate) nav_label: &'static str,
    /// Nav: the help center (`/`).
    pub(crate) nav_help_center: &'static str,
    /// Nav: the request form (`/support/new`).
    pub(crate) nav_submit_request: &'static str,
    /// Nav: My activity (`/activity`).
    pub(crate) nav_my_activity: &'static str,
    /// Nav: the status page (`/status`).
    pub(crate) nav_status: &'static str,
    /// The label of the language switch.
    pub(crate) language: &'static str,
    /// This language's own name, as the switch offers it.
    pub(crate) language_name: &'static str,
    /// The link under the notice banner, to the request form.
    pub(crate) notice_link: &'static str,
    /// The footer line.
    pub(crate) footer: &'static str,

    // Help center.
    /// The help center's heading.
    pub(crate) help_center: &'static str,
    /// The search field's label.
    pub(crate) search_label: &'static str,
    /// The search field's placeholder.
    pub(crate) search_placeholder: &'static str,
    /// The search button.
    pub(crate) search_button: &'static str,
    /// Heading of the results for `{q}`.
    pub(crate) results_for: &'static str,
    /// The question is too short to search.
    pub(crate) search_too_short: &'static str,
    /// Nothing answers the question.
    pub(crate) search_no_match: &'static str,
    /// The link from an empty search to the form.
    pub(crate) search_submit_request: &'static str,
    /// The heading of articles without a tag.
    pub(crate) tag_other: &'static str,
    /// The help center has no article.
    pub(crate) no_articles: &'static str,
    /// The heading above an article's tags.
    pub(crate) tags: &'static str,
    /// Below an article: the link to the form.
    pub(crate) still_need_help: &'static str,
    /// Labels a link to an article's version in this language, written in this
    /// language: "Read in English" on a Korean article.
    pub(crate) read_twin: &'static str,
    /// The title of the 404 page.
    pub(crate) not_found_title: &'static str,
    /// The text of the 404 page.
    pub(crate) not_found_text: &'static str,
    /// The link from the 404 page back to the help center.
    pub(crate) back_to_help_center: &'static str,
    /// The title of the page shown when something failed on our side.
    pub(crate) error_title: &'static str,
    /// The text of that page.
    pub(crate) error_text: &'static str,

    // Request form.
    /// The form's heading.
    pub(crate) form_title: &'static str,
    /// The form's introduction.
    pub(crate) form_intro: &'static str,
    /// Field: email.
    pub(crate) email: &'static str,
    /// Field: question type.
    pub(crate) question_type: &'static str,
    /// The empty choice of the question type.
    pub(crate) choose: &'static str,
    /// Field: subject.
    pub(crate) subject: &'static str,
    /// Field: description.
    pub(crate) description: &'static str,
    /// Field: business impact.
    pub(crate) business_impact: &'static str,
    /// Field: product area.
    pub(crate) product_area: &'static str,
    /// Field: attachments.
    pub(crate) attachments: &'static str,
    /// A hint under the attachments field: `{max}` MB.
    pub(crate) attachments_hint: &'static str,
    /// The submit button.
    pub(crate) submit: &'static str,
    /// Impact: low.
    pub(crate) impact_low: &'static str,
    /// Impact: normal.
    pub(crate) impact_normal: &'static str,
    /// Impact: high.
    pub(crate) impact_high: &'static str,
    /// Impact: critical.
    pub(crate) impact_critical: &'static str,
    /// Marks a required field.
    pub(crate) required: &'static str,
    /// Above a form that did not pass: the fields to correct.
    pub(crate) form_has_errors: &'static str,
    /// Error: no email.
    pub(crate) error_email_required: &'static str,
    /// Error: not an email address.
    pub(crate) error_email_invalid: &'static str,
    /// Error: no subject.
    pub(crate) error_subject_required: &'static str,
    /// Error: no description.
    pub(crate) error_description_required: &'static str,
    /// Error: no question type.
    pub(crate) error_question_type_required: &'static str,
    /// Error: a file over `{max}` MB.
    pub(crate) error_file_too_large: &'static str,
    /// Error: a file of a type not taken.
    pub(crate) error_file_type: &'static str,
    /// Error: too many requests this hour.
    pub(crate) error_rate_limited: &'static str,

    // Confirmation.
    /// The confirmation's heading.
    pub(crate) request_received: &'static str,
    /// The ticket number `{n}`.
    pub(crate) your_ticket_number: &'static str,
    /// A confirmation went to `{email}`.
    pub(crate) confirmation_emailed: &'static str,

    // My activity.
    /// My activity's heading.
    pub(crate) my_activity: &'static str,
    /// Sign in.
    pub(crate) sign_in: &'static str,
    /// The sign-in form's introduction.
    pub(crate) sign_in_intro: &'static str,
    /// The button that sends the sign-in link.
    pub(crate) send_sign_in_link: &'static str,
    /// After asking for a link.
    pub(crate) check_your_email: &'static str,
    /// After asking for a link: where it went.
    pub(crate) check_your_email_text: &'static str,
    /// The sign-in link expired or was used.
    pub(crate) link_expired: &'static str,
    /// Column: ticket.
    pub(crate) ticket: &'static str,
    /// Column: status.
    pub(crate) status: &'static str,
    /// Column: channel.
    pub(crate) channel: &'static str,
    /// Column: last update.
    pub(crate) last_update: &'static str,
    /// Filter: all tickets.
    pub(crate) filter_all: &'static str,
    /// Filter and state: open.
    pub(crate) state_open: &'static str,
    /// Filter and state: solved.
    pub(crate) state_solved: &'static str,
    /// Filter and state: closed.
    pub(crate) state_closed: &'static str,
    /// The reply field's label.
    pub(crate) reply: &'static str,
    /// The reply button.
    pub(crate) send: &'static str,
    /// Sign out.
    pub(crate) sign_out: &'static str,
    /// No ticket to list.
    pub(crate) no_tickets: &'static str,

    // Status page.
    /// Status page heading.
    pub(crate) status_title: &'static str,
    /// A connection is up.
    pub(crate) connected: &'static str,
    /// A connection works with trouble.
    pub(crate) degraded: &'static str,
    /// A connection is down.
    pub(crate) down: &'static str,
    /// The last event received.
    pub(crate) last_event: &'static str,
    /// The last message delivered.
    pub(crate) last_delivery: &'static str,
    /// The database.
    pub(crate) database: &'static str,
    /// Messages waiting to be delivered.
    pub(crate) outbox_backlog: &'static str,
    /// Failed deliveries in the last hour.
    pub(crate) delivery_failures_hour: &'static str,
    /// An incident.
    pub(crate) incident: &'static str,
    /// The notice when chat may not reach anyone.
    pub(crate) chat_unavailable: &'static str,
    /// A time never seen.
    pub(crate) never: &'static str,
    /// A form whose protection token did not match: sent again.
    pub(crate) error_form_expired: &'static str,
    /// More attachments than a request takes. {max}
    pub(crate) error_too_many_files: &'static str,
    /// A ticket's page. {n}
    pub(crate) ticket_title: &'static str,
    /// The requester, in a transcript.
    pub(crate) you: &'static str,
    /// An agent, when agents are anonymous.
    pub(crate) support_name: &'static str,
    /// The bot, in a transcript.
    pub(crate) bot_name: &'static str,
    /// Who is signed in. {email}
    pub(crate) signed_in_as: &'static str,
    /// The page a sign-in link opens.
    pub(crate) signin_confirm_title: &'static str,
    /// The page a sign-in link opens, before the button.
    pub(crate) signin_confirm_text: &'static str,
    /// The sign-in button.
    pub(crate) continue_button: &'static str,
    /// My activity without email.
    pub(crate) mail_unavailable: &'static str,
    /// A reply to a closed ticket.
    pub(crate) reply_closed: &'static str,
    /// An empty reply.
    pub(crate) error_reply_required: &'static str,
    /// A link back to the list.
    pub(crate) back_to_activity: &'static str,
    /// The transcript's heading.
    pub(crate) transcript: &'static str,
    /// The hourly limit of sign-in links.
    pub(crate) error_too_many_signins: &'static str,
    /// The attachments of a message, in a transcript.
    pub(crate) attachments_label: &'static str,
    /// A field longer than it may be. {max}
    pub(crate) error_too_long: &'static str,
    /// The requester was blocked by an agent.
    pub(crate) error_blocked: &'static str,
}

static EN: Ui = Ui {
    site_name: "relaydesk Support",
    skip_to_content: "Skip to content",
    nav_label: "Main",
    nav_help_center: "Help center",
    nav_submit_request: "Submit a request",
    nav_my_activity: "My activity",
    nav_status: "Status",
    language: "Language",
    language_name: "English",
    notice_link: "Submit a request",
    footer: "Answers from the help center, a person when you need one.",

    help_center: "Help center",
    search_label: "Search the help center",
    search_placeholder: "Describe your problem in a sentence",
    search_button: "Search",
    results_for: "Results for “{q}”",
    search_too_short: "Please describe your problem in a full sentence, for example “How do I attach a screenshot?”.",
    search_no_match: "We found nothing that answers this.",
    search_submit_request: "Submit a request and a person will answer.",
    tag_other: "Other",
    no_articles: "The help center has no articles yet.",
    tags: "Tags",
    still_need_help: "Still need help? Submit a request",
    read_twin: "Read in English",
    not_found_title: "Page not found",
    not_found_text: "We couldn't find that page. It may have moved or been removed.",
    back_to_help_center: "Back to the help center",
    error_title: "Something went wrong",
    error_text: "Something went wrong on our side. Please try again in a moment.",

    form_title: "Submit a request",
    form_intro: "Tell us what happened and we'll answer by email.",
    email: "Email",
    question_type: "Question type",
    choose: "Choose…",
    subject: "Subject",
    description: "Description",
    business_impact: "Business impact (optional)",
    product_area: "Product area (optional)",
    attachments: "Attachments (optional)",
    attachments_hint: "Images, PDF or text, up to {max} MB each.",
    submit: "Submit",
    impact_low: "Low",
    impact_normal: "Normal",
    impact_high: "High",
    impact_critical: "Critical",
    required: "Required",
    form_has_errors: "Please correct the fields marked below.",
    error_email_required: "Enter your email address.",
    error_email_invalid: "Enter an email address like name@example.com.",
    error_subject_required: "Enter a subject.",
    error_description_required: "Describe your problem.",
    error_question_type_required: "Choose a question type.",
    error_file_too_large: "This file is larger than {max} MB.",
    error_file_type: "This type of file is not accepted.",
    error_rate_limited: "Too many requests this hour. Please try again later.",

    request_received: "Request received",
    your_ticket_number: "Your ticket number is #{n}.",
    confirmation_emailed: "We emailed a confirmation to {email}.",

    my_activity: "My activity",
    sign_in: "Sign in",
    sign_in_intro: "Enter your email and we'll send you a sign-in link.",
    send_sign_in_link: "Send sign-in link",
    check_your_email: "Check your email",
    check_your_email_text: "If {email} has requests with us, a sign-in link is on its way.",
    link_expired: "This sign-in link has expired or was already used. Ask for a new one.",
    ticket: "Ticket",
    status: "Status",
    channel: "Channel",
    last_update: "Last update",
    filter_all: "All",
    state_open: "Open",
    state_solved: "Solved",
    state_closed: "Closed",
    reply: "Reply",
    send: "Send",
    sign_out: "Sign out",
    no_tickets: "No tickets yet.",

    status_title: "Status",
    connected: "Connected",
    degraded: "Degraded",
    down: "Down",
    last_event: "Last event",
    last_delivery: "Last delivery",
    database: "Database",
    outbox_backlog: "Outbox backlog",
    delivery_failures_hour: "Delivery failures in the last hour",
    incident: "Incident",
    chat_unavailable: "Chat support may be unavailable. Submit a request instead.",
    never: "Never",
    error_form_expired: "The form expired. Please check it and submit it again.",
    error_too_many_files: "Attach at most {max} files.",
    ticket_title: "Ticket #{n}",
    you: "You",
    support_name: "Support",
    bot_name: "Support bot",
    signed_in_as: "Signed in as {email}",
    signin_confirm_title: "Sign in to My activity",
    signin_confirm_text: "Press the button to sign in. The link works once.",
    continue_button: "Continue",
    mail_unavailable: "Sign-in links can't be sent: email is not set up on this help desk.",
    reply_closed: "This ticket is closed. Submit a new request if you still need help.",
    error_reply_required: "Write a reply first.",
    back_to_activity: "Back to My activity",
    transcript: "Conversation",
    error_too_many_signins: "Too many sign-in links were asked for this address. Try again in an hour.",
    attachments_label: "Attachments",
    error_too_long: "At most {max} characters, please.",
    error_blocked: "Requests from this address can't be taken right now.",
};

static KO: Ui = Ui {
    site_name: "relaydesk 고객 지원",
    skip_to_content: "본문으로 건너뛰기",
    nav_label: "주 메뉴",
    nav_help_center: "도움말 센터",
    nav_submit_request: "요청 제출",
    nav_my_activity: "내 활동",
    nav_status: "상태",
    language: "언어",
    language_name: "한국어",
    notice_link: "요청 제출",
    footer: "도움말 센터가 먼저 답하고, 필요하면 사람이 답해요.",

    help_center: "도움말 센터",
    search_label: "도움말 센터 검색",
    search_placeholder: "문제를 한 문장으로 설명해 주세요",
    search_button: "검색",
    results_for: "“{q}” 검색 결과",
    search_too_short: "문제를 한 문장으로 자세히 적어 주세요. 예: “스크린샷은 어떻게 첨부하나요?”",
    search_no_match: "이 질문에 맞는 도움말을 찾지 못했어요.",
    search_submit_request: "요청을 제출하시면 담당자가 답해 드려요.",
    tag_other: "기타",
    no_articles: "아직 도움말 문서가 없어요.",
    tags: "태그",
    still_need_help: "아직 도움이 필요하신가요? 요청 제출",
    read_twin: "한국어로 보기",
    not_found_title: "페이지를 찾을 수 없어요",
    not_found_text: "요청하신 페이지를 찾을 수 없어요. 옮겨졌거나 삭제되었을 수 있어요.",
    back_to_help_center: "도움말 센터로 돌아가기",
    error_title: "문제가 발생했어요",
    error_text: "저희 쪽에서 문제가 발생했어요. 잠시 후 다시 시도해 주세요.",

    form_title: "요청 제출",
    form_intro: "어떤 일이 있었는지 알려 주시면 이메일로 답해 드려요.",
    email: "이메일",
    question_type: "문의 유형",
    choose: "선택하세요…",
    subject: "제목",
    description: "내용",
    business_impact: "업무 영향 (선택)",
    product_area: "제품 영역 (선택)",
    attachments: "첨부 파일 (선택)",
    attachments_hint: "이미지, PDF, 텍스트 파일을 각각 {max}MB까지 올릴 수 있어요.",
    submit: "제출",
    impact_low: "낮음",
    impact_normal: "보통",
    impact_high: "높음",
    impact_critical: "긴급",
    required: "필수",
    form_has_errors: "아래 표시된 항목을 고쳐 주세요.",
    error_email_required: "이메일 주소를 입력해 주세요.",
    error_email_invalid: "name@example.com 같은 이메일 주소를 입력해 주세요.",
    error_subject_required: "제목을 입력해 주세요.",
    error_description_required: "문제를 설명해 주세요.",
    error_question_type_required: "문의 유형을 선택해 주세요.",
    error_file_too_large: "이 파일은 {max}MB보다 커요.",
    error_file_type: "이 형식의 파일은 받을 수 없어요.",
    error_rate_limited: "이번 시간에 요청이 너무 많았어요. 나중에 다시 시도해 주세요.",

    request_received: "요청을 받았어요",
    your_ticket_number: "티켓 번호는 #{n}이에요.",
    confirmation_emailed: "{email}(으)로 확인 메일을 보냈어요.",

    my_activity: "내 활동",
    sign_in: "로그인",
    sign_in_intro: "이메일을 입력하시면 로그인 링크를 보내 드려요.",
    send_sign_in_link: "로그인 링크 보내기",
    check_your_email: "이메일을 확인해 주세요",
    check_your_email_text: "{email}(으)로 접수된 요청이 있다면 로그인 링크를 보냈어요.",
    link_expired: "로그인 링크가 만료되었거나 이미 사용되었어요. 새 링크를 요청해 주세요.",
    ticket: "티켓",
    status: "상태",
    channel: "채널",
    last_update: "마지막 업데이트",
    filter_all: "전체",
    state_open: "진행 중",
    state_solved: "해결됨",
    state_closed: "종료됨",
    reply: "답장",
    send: "보내기",
    sign_out: "로그아웃",
    no_tickets: "아직 티켓이 없어요.",

    status_title: "상태",
    connected: "연결됨",
    degraded: "불안정",
    down: "중단",
    last_event: "마지막 이벤트",
    last_delivery: "마지막 전송",
    database: "데이터베이스",
    outbox_backlog: "전송 대기 메시지",
    delivery_failures_hour: "최근 1시간 전송 실패",
    incident: "장애",
    chat_unavailable: "지금은 채팅 상담이 어려울 수 있어요. 대신 요청을 제출해 주세요.",
    never: "없음",
    error_form_expired: "양식이 만료되었어요. 내용을 확인하고 다시 제출해 주세요.",
    error_too_many_files: "파일은 {max}개까지 첨부할 수 있어요.",
    ticket_title: "티켓 #{n}",
    you: "나",
    support_name: "고객 지원",
    bot_name: "지원 봇",
    signed_in_as: "{email}(으)로 로그인됨",
    signin_confirm_title: "내 활동에 로그인",
    signin_confirm_text: "버튼을 눌러 로그인하세요. 링크는 한 번만 쓸 수 있어요.",
    continue_button: "계속",
    mail_unavailable:
        "이 고객 지원 센터에는 이메일이 설정되어 있지 않아 로그인 링크를 보낼 수 없어요.",
    reply_closed: "종료된 티켓이에요. 아직 도움이 필요하시면 새 요청을 제출해 주세요.",
    error_reply_required: "답장 내용을 입력해 주세요.",
    back_to_activity: "내 활동으로 돌아가기",
    transcript: "대화",
    error_too_many_signins:
        "이 주소로 요청한 로그인 링크가 너무 많아요. 한 시간 뒤에 다시 시도해 주세요.",
    attachments_label: "첨부 파일",
    error_too_long: "{max}자까지 입력할 수 있어요.",
    error_blocked: "지금은 이 주소로 요청을 받을 수 없어요.",
};

/// The interface strings of `lang`.
pub(crate) fn ui(lang: Lang) -> &'static Ui {
    match lang {
        Lang::En => &EN,
        Lang::Ko => &KO,
    }
}

/// `template` with `{name}` replaced by `value`.
pub(crate) fn fill(template: &str, name: &str, value: &str) -> String {
    template.replace(&format!("{{{name}}}"), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(ui(Lang::En).your_ticket_number, "n", "42"),
            "Your ticket number is #42."
        );
        assert_eq!(
            fill(ui(Lang::Ko).error_file_too_large, "max", "10"),
            "이 파일은 10MB보다 커요."
        );
    }

    #[test]
    fn every_placeholder_is_in_both_languages() {
        let en = format!("{:?}", ui(Lang::En));
        let ko = format!("{:?}", ui(Lang::Ko));
        for name in ["{n}", "{email}", "{max}", "{q}"] {
            assert_eq!(en.matches(name).count(), ko.matches(name).count(), "{name}");
        }
    }

    #[test]
    fn each_twin_link_is_in_its_own_language() {
        assert_eq!(ui(Lang::En).read_twin, "Read in English");
        assert_eq!(ui(Lang::Ko).read_twin, "한국어로 보기");
    }
}
