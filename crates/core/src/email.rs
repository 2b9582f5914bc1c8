//! Emails as the engine writes them: a subject, a text part and an HTML part made from
//! the same paragraphs, in the person's language; and the port that mails one-time
//! codes, which are never written to the database.

use crate::i18n;
use crate::text::Lang;

/// One email's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The subject line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// A piece of a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A paragraph.
    Para(String),
    /// Someone's words, quoted.
    Quote(String),
    /// A paragraph whose `url` (which it contains) is a link.
    Link {
        /// The paragraph.
        text: String,
        /// The link in it.
        url: String,
    },
    /// Small print at the end, after a rule.
    Footer {
        /// The paragraph.
        text: String,
        /// The link in it, if any.
        url: Option<String>,
    },
}

impl Letter {
    /// The letter of `parts`: paragraphs separated by blank lines in text, `<p>` in
    /// HTML, with everything escaped.
    pub fn of(subject: String, parts: &[Part]) -> Letter {
        let mut text = Vec::new();
        let mut html = String::from(
            "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">",
        );
        for part in parts {
            match part {
                Part::Para(p) => {
                    text.push(p.clone());
                    html.push_str(&format!("<p>{}</p>", lines(p)));
                }
                Part::Quote(q) => {
                    text.push(
                        q.lines()
                            .map(|l| format!("> {l}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    );
                    html.push_str(&format!(
                        "<blockquote style=\"border-left:3px solid #ccc;margin:0 0 1em;padding-left:1em\">{}</blockquote>",
                        lines(q)
                    ));
                }
                Part::Link { text: p, url } => {
                    text.push(p.clone());
                    html.push_str(&format!("<p>{}</p>", linked(p, url)));
                }
                Part::Footer { text: p, url } => {
                    text.push(format!("--\n{p}"));
                    let body = match url {
                        Some(url) => linked(p, url),
                        None => lines(p),
                    };
                    html.push_str(&format!(
                        "<hr><p style=\"font-size:small;color:#666\">{body}</p>"
                    ));
                }
            }
        }
        html.push_str("</body></html>");
        Letter {
            subject,
            text: text.join("\n\n") + "\n",
            html,
        }
    }

    /// The email that carries a one-time code.
    pub fn code(lang: Lang, code: &str, minutes: i64) -> Letter {
        let say = i18n::catalogue(lang);
        let parts: Vec<Part> = say
            .email_code_text(code, minutes)
            .split("\n\n")
            .map(|p| Part::Para(p.to_string()))
            .collect();
        Letter::of(say.email_code_subject().to_string(), &parts)
    }
}

/// `s` escaped for HTML, its line breaks as `<br>`.
fn lines(s: &str) -> String {
    escape(s).replace('\n', "<br>")
}

/// `p` escaped, with `url` in it made a link.
fn linked(p: &str, url: &str) -> String {
    match p.split_once(url) {
        Some((before, after)) => format!(
            "{}<a href=\"{u}\">{u}</a>{}",
            lines(before),
            lines(after),
            u = escape(url)
        ),
        None => lines(p),
    }
}

/// Text made safe inside HTML elements and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Mails one-time codes. The code lives only in memory: the mailer retries a send a few
/// times, and after a restart the person asks for a new one.
pub trait CodeMailer: Send + Sync {
    /// Sends `letter` to `to` in the background.
    fn send_code(&self, to: String, letter: Letter);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_html_say_the_same_and_html_is_escaped() {
        let letter = Letter::of(
            "Re: #7".into(),
            &[
                Part::Para("Grace <support> wrote:".into()),
                Part::Quote("1 < 2\nand \"so\"".into()),
                Part::Link {
                    text: "Continue: https://x.example/?a=1&b=2".into(),
                    url: "https://x.example/?a=1&b=2".into(),
                },
            ],
        );
        assert_eq!(
            letter.text,
            "Grace <support> wrote:\n\n> 1 < 2\n> and \"so\"\n\nContinue: https://x.example/?a=1&b=2\n"
        );
        assert!(letter.html.contains("<p>Grace &lt;support&gt; wrote:</p>"));
        assert!(letter.html.contains("1 &lt; 2<br>and &quot;so&quot;"));
        assert!(letter.html.contains(
            "<a href=\"https://x.example/?a=1&amp;b=2\">https://x.example/?a=1&amp;b=2</a>"
        ));
    }

    #[test]
    fn the_code_email_carries_the_code_in_both_languages() {
        for lang in [Lang::En, Lang::Ko] {
            let letter = Letter::code(lang, "012345", 10);
            assert!(letter.text.contains("012345") && letter.html.contains("012345"));
            assert!(letter.text.contains("10"));
        }
    }
}
