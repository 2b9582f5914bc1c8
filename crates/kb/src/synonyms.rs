//! Words people use interchangeably when they ask for support ("a real person", "staff",
//! "someone" for an agent; "사람", "담당자" for 상담사). Each group becomes one concept
//! term, indexed next to the words themselves, so a question phrased in other words than
//! the article still meets it. Lexical search cannot bridge such gaps by itself, and a
//! list this small costs nothing at build time.

use crate::tokenize::is_cjk;
use rust_stemmers::Stemmer;
use std::collections::HashMap;

/// One group per line, members separated by commas; `#` starts a comment. English
/// members are single words (stemmed when loaded); Korean members match a word that
/// starts with them, or that contains them when they are two syllables or longer.
const BUILT_IN: &str = "
# people who answer
agent, agents, human, person, people, staff, representative, operator, somebody, someone, employee, specialist
상담사, 상담원, 사람, 담당자, 직원, 매니저
# talking to them
talk, speak, contact, reach
# a support request
ticket, case, request, inquiry, enquiry
문의, 요청, 티켓, 케이스
problem, issue, trouble, error, bug
문제, 오류, 에러, 장애
# mail and notifications
email, mail, inbox, mailbox
메일, 이메일, 받은편지함, 메일함, 편지함
notify, notification, alert, remind, reminder
알림, 통지, 연락
# identity
verify, verification, confirm, authenticate, prove, validate
인증, 검증, 본인
code, passcode, otp, pin
코드, 인증번호
link, url, hyperlink
링크, 주소
# files
attach, attachment, upload
첨부, 업로드, 올린, 올려, 올리
screenshot, image, picture, photo, video, recording
스크린샷, 캡처, 이미지, 사진, 영상, 녹화
# changing what was sent
delete, remove, erase, unsend, retract
삭제, 지우, 지워, 지운, 없애
edit, modify, correct, amend, typo
수정, 고치, 고쳐, 편집, 오타
# earlier conversations
history, previous, past, earlier, older, former
기록, 내역, 예전, 이전, 지난, 옛날, 과거
conversation, chat, thread, discussion, dialogue
대화, 채팅, 상담, 스레드
# when people are there
hours, schedule, opening, availability
운영, 근무, 업무
weekend, saturday, sunday, holiday
주말, 토요일, 일요일, 공휴일, 휴일
night, evening, midnight, overnight
밤, 새벽, 저녁, 야간, 심야
wait, waiting, queue, delay, slow
대기, 기다, 지연, 늦
reply, answer, response, respond
답변, 답장, 응답, 회신, 답
# buying
sales, buy, purchase, quote, quotation, demo, salesperson
영업, 구매, 견적, 도입
# channels
website, web, site, browser, webpage, homepage
웹, 웹사이트, 홈페이지, 사이트, 브라우저
bot, assistant, chatbot, automated, automatic, robot
봇, 챗봇, 자동
button, click, press, tap
버튼, 누르, 눌러, 클릭
# outcomes
solved, resolved, closed, done, finished, complete, completed
해결, 완료, 종료, 마무리, 끝난, 닫힌, 닫혀
resume, continue, return
재개, 이어서, 이어, 계속
helpful, useful
유용, 쓸모
feedback, rating, rate
평가, 피드백
route, routing, transfer, assign, escalate, handoff, handover, forward
배정, 이관, 전달, 넘겨
privacy, confidential, gdpr
개인정보, 프라이버시
status, progress, state
상태, 진행, 현황
number, id, reference, identifier
번호, 접수번호, 참조
handle, handling, process, processing
처리
receive, arrive, deliver, delivered
도착, 수신
spam, junk
스팸
# how and where to write
dm, direct, private, privately, personal
개인, 다이렉트, 비공개
language, languages, english, korean, japanese, chinese, french, spanish, german
언어, 한국어, 영어, 일본어, 중국어, 프랑스어
colleague, colleagues, coworker, coworkers, teammate
동료, 팀원
fast, faster, quick, quickly, quicker, speed, sooner, urgent, priority, asap
빨리, 빠르, 빠른, 급해, 급한, 긴급, 우선
timezone, zone, local, kst, utc
시간대, 현지
";

/// The prefix of concept terms: never produced by the tokenizer for real text.
const CONCEPT_MARK: char = '~';

/// Word → concept lookups built from the groups.
#[derive(Debug, Default)]
pub(crate) struct Synonyms {
    /// English stem → groups.
    words: HashMap<String, Vec<u32>>,
    /// Korean (CJK) member → groups.
    cjk: HashMap<String, Vec<u32>>,
    /// Longest CJK member, in characters.
    longest: usize,
}

impl Synonyms {
    /// The built-in groups, stemmed with `stemmer`.
    pub(crate) fn built_in(stemmer: &Stemmer) -> Self {
        let mut synonyms = Synonyms::default();
        for (group, line) in BUILT_IN
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .enumerate()
        {
            for member in line.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                let group = group as u32;
                if member.chars().any(is_cjk) {
                    synonyms.longest = synonyms.longest.max(member.chars().count());
                    push_unique(synonyms.cjk.entry(member.to_string()).or_default(), group);
                } else {
                    let stem = stemmer.stem(&member.to_lowercase()).into_owned();
                    push_unique(synonyms.words.entry(stem).or_default(), group);
                }
            }
        }
        synonyms
    }

    /// Calls `emit` with the concept term of every group the stemmed word belongs to.
    pub(crate) fn word(&self, stem: &str, buf: &mut String, emit: &mut impl FnMut(&str)) {
        if let Some(groups) = self.words.get(stem) {
            for &g in groups {
                emit(concept(g, buf));
            }
        }
    }

    /// Calls `emit` with the concept term of every group with a member in this CJK run
    /// (each group once).
    pub(crate) fn run(&self, run: &[char], buf: &mut String, emit: &mut impl FnMut(&str)) {
        if self.cjk.is_empty() {
            return;
        }
        let mut seen: Vec<u32> = Vec::new();
        let mut key = String::new();
        for start in 0..run.len() {
            key.clear();
            for (len, &c) in run[start..].iter().take(self.longest).enumerate() {
                key.push(c);
                // A one-syllable member ("봇", "답") only counts at the start of a word.
                if len == 0 && start > 0 {
                    continue;
                }
                if let Some(groups) = self.cjk.get(&key) {
                    for &g in groups {
                        if !seen.contains(&g) {
                            seen.push(g);
                            emit(concept(g, buf));
                        }
                    }
                }
            }
        }
    }
}

fn push_unique(groups: &mut Vec<u32>, group: u32) {
    if !groups.contains(&group) {
        groups.push(group);
    }
}

fn concept(group: u32, buf: &mut String) -> &str {
    use std::fmt::Write as _;
    buf.clear();
    buf.push(CONCEPT_MARK);
    let _ = write!(buf, "{group}");
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_stemmers::Algorithm;

    fn concepts_of_word(word: &str) -> Vec<String> {
        let stemmer = Stemmer::create(Algorithm::English);
        let s = Synonyms::built_in(&stemmer);
        let mut out = Vec::new();
        s.word(&stemmer.stem(word), &mut String::new(), &mut |t| {
            out.push(t.to_string())
        });
        out
    }

    fn concepts_of_run(run: &str) -> Vec<String> {
        let s = Synonyms::built_in(&Stemmer::create(Algorithm::English));
        let chars: Vec<char> = run.chars().collect();
        let mut out = Vec::new();
        s.run(&chars, &mut String::new(), &mut |t| out.push(t.to_string()));
        out
    }

    #[test]
    fn english_members_share_a_concept() {
        assert_eq!(concepts_of_word("somebody"), concepts_of_word("agents"));
        assert!(!concepts_of_word("notified").is_empty());
        assert!(concepts_of_word("banana").is_empty());
    }

    #[test]
    fn korean_members_match_inside_words() {
        let person = concepts_of_run("사람이랑");
        assert_eq!(person.len(), 1);
        assert!(concepts_of_run("상담사에게").contains(&person[0]));
        assert_eq!(concepts_of_run("봇이"), concepts_of_run("챗봇"));
        assert!(
            concepts_of_run("로봇").is_empty(),
            "one syllable only at the start"
        );
        assert!(concepts_of_run("바나나").is_empty());
    }
}
