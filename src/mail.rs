//! Sending email over SMTP with lettre: one multipart/alternative message at a time, each
//! on its own connection, and the connection test behind `relaydesk check`.
//!
//! Whether a failure is worth a retry is decided here, from the SMTP reply: a 4xx or a
//! lost connection is [`SendError::Temporary`], a 5xx or an address that cannot be
//! parsed is [`SendError::Permanent`].

use std::error::Error as _;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// For connecting and for each SMTP command.
const TIMEOUT: Duration = Duration::from_secs(20);

/// `[smtp]` of bot.toml (the config parsing itself stays in src/config.rs; this is the
/// resolved value).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// The server's host name (checked against its certificate with TLS) or address.
    pub host: String,
    /// Its port: usually 587 with `starttls`, 465 with `tls`, 25 with `none`.
    pub port: u16,
    /// How the connection is encrypted.
    pub tls: Tls,
    /// The From mailbox, e.g. "Support <support@example.com>".
    pub from: String,
    /// The login, if the server wants one; with [`SmtpSettings::password`].
    pub username: Option<String>,
    /// The password of [`SmtpSettings::username`].
    pub password: Option<SecretString>,
}

/// How the connection to the SMTP server is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain TCP, for a relay on the same host or network. A login is then sent in the
    /// clear: the admin chose it explicitly.
    None,
    /// Plain TCP upgraded with STARTTLS before anything else is sent; a server that does
    /// not offer it gets neither the login nor any mail.
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// One email ready to go.
#[derive(Debug, Clone)]
pub struct Email {
    /// The recipient, "name <address>" or a bare address.
    pub to: String,
    /// The subject, any Unicode.
    pub subject: String,
    /// The text/plain body.
    pub text: String,
    /// The text/html body.
    pub html: String,
    /// Stable, e.g. "<email-42@relaydesk>", so that a resend can be recognised.
    pub message_id: String,
    /// RFC 8058: the URL for List-Unsubscribe (with List-Unsubscribe-Post:
    /// List-Unsubscribe=One-Click).
    pub unsubscribe: Option<String>,
}

/// Why an email was not sent. The text names the server and the reply, never a password.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx reply, a connection that failed or timed out.
    #[error("{0}")]
    Temporary(String),
    /// Trying again will not help: a 5xx reply, an address or a message that cannot be
    /// written.
    #[error("{0}")]
    Permanent(String),
}

/// Sends email through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// "host:port", for messages.
    server: String,
    /// Kept to take it out of any text that could show it.
    password: Option<SecretString>,
}

impl Mailer {
    /// Fails with a message naming the key (`smtp.from`, `smtp.host`, ...) when the
    /// settings cannot make a transport. Credentials are used with every kind of `tls`:
    /// with `none` they go in the clear, for a local relay, as the admin chose.
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, String> {
        let from: Mailbox = settings.from.parse().map_err(|e| {
            format!(
                "smtp.from: `{}` is not a mailbox such as \"Support <support@example.com>\": {e}",
                settings.from
            )
        })?;
        let host = settings.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("smtp.host: `{}` is not a host name", settings.host));
        }
        let tls_error = |e: lettre::transport::smtp::Error| {
            format!("smtp.host: `{host}` cannot be used with TLS: {e}")
        };
        let builder = match settings.tls {
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            Tls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_error)?
            }
            Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_error)?,
        }
        .port(settings.port)
        .timeout(Some(TIMEOUT));
        let builder = match (&settings.username, &settings.password) {
            (Some(username), Some(password)) => builder.credentials(Credentials::new(
                username.clone(),
                password.expose_secret().to_owned(),
            )),
            (None, None) => builder,
            (Some(_), None) => return Err("smtp.password: needed with smtp.username".into()),
            (None, Some(_)) => return Err("smtp.username: needed with smtp.password".into()),
        };
        Ok(Mailer {
            transport: builder.build(),
            from,
            server: format!("{host}:{}", settings.port),
            password: settings.password.clone(),
        })
    }

    /// Builds a multipart/alternative message (text/plain then text/html, UTF-8) with
    /// Message-ID, Date, From, To, Subject (and the List-Unsubscribe headers) and sends
    /// it. A 4xx reply or a connection error or timeout is [`SendError::Temporary`]; a
    /// 5xx reply or an address lettre cannot parse is [`SendError::Permanent`].
    pub async fn send(&self, email: &Email) -> Result<(), SendError> {
        let message = self.message(email)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let text = self.redact(format!(
                    "cannot send to {} through {}: {}",
                    email.to,
                    self.server,
                    reason(&e)
                ));
                Err(if e.is_permanent() {
                    SendError::Permanent(text)
                } else {
                    SendError::Temporary(text)
                })
            }
        }
    }

    /// Connects and (with credentials) logs in, for `relaydesk check`: Ok, or a one-line
    /// reason ("cannot connect to smtp.example.com:587: ...", "the server refused the
    /// login: ...").
    pub async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("{} did not answer NOOP", self.server)),
            Err(e) => Err(self.redact(self.describe(&e))),
        }
    }

    fn message(&self, email: &Email) -> Result<Message, SendError> {
        let to: Mailbox = email.to.parse().map_err(|e| {
            SendError::Permanent(format!("`{}` is not an email address: {e}", email.to))
        })?;
        if !is_header_token(&email.message_id) {
            return Err(SendError::Permanent(format!(
                "`{}` cannot be a Message-ID",
                email.message_id
            )));
        }
        let mut builder = Message::builder()
            .message_id(Some(email.message_id.clone()))
            .date_now()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone());
        if let Some(url) = &email.unsubscribe {
            if !is_header_token(url) || url.contains(['<', '>']) {
                return Err(SendError::Permanent(format!(
                    "`{url}` cannot be an unsubscribe link"
                )));
            }
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot write the message: {e}")))
    }

    fn describe(&self, e: &lettre::transport::smtp::Error) -> String {
        let login_refused = matches!(e.status().map(u16::from), Some(454 | 530 | 534 | 535 | 538));
        if login_refused && self.password.is_some() {
            format!("the server refused the login: {}", reason(e))
        } else if e.is_tls() {
            format!("cannot set up TLS with {}: {}", self.server, reason(e))
        } else if e.is_client() {
            // lettre's own refusals: no STARTTLS offered, no login method in common.
            format!("{} cannot be used: {}", self.server, reason(e))
        } else if e.is_permanent() || e.is_transient() {
            format!("{} answered with an error: {}", self.server, reason(e))
        } else {
            format!("cannot connect to {}: {}", self.server, reason(e))
        }
    }

    /// The SMTP server's replies come back in errors: should one ever echo the password,
    /// it does not go further.
    fn redact(&self, text: String) -> String {
        match &self.password {
            Some(p) if !p.expose_secret().is_empty() => {
                text.replace(p.expose_secret(), "[password]")
            }
            _ => text,
        }
    }
}

/// lettre's text for a reply ("permanent error (550): ..."); for anything else only its
/// cause, without lettre's "internal client error" or "Connection error" in front.
fn reason(e: &lettre::transport::smtp::Error) -> String {
    if e.status().is_some() {
        return e.to_string();
    }
    e.source()
        .map(ToString::to_string)
        .unwrap_or_else(|| e.to_string())
}

/// Printable ASCII without spaces: safe in a header as it is.
fn is_header_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use relaydesk_fakes::smtp::FakeSmtp;

    use super::*;

    fn settings(port: u16, tls: Tls, login: Option<(&str, &str)>) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls,
            from: "Support <support@example.com>".into(),
            username: login.map(|(u, _)| u.to_owned()),
            password: login.map(|(_, p)| SecretString::from(p.to_owned())),
        }
    }

    fn mailer(smtp: &FakeSmtp) -> Mailer {
        Mailer::new(&settings(smtp.port(), Tls::None, None)).expect("mailer")
    }

    fn email(to: &str) -> Email {
        Email {
            to: to.into(),
            subject: "문의하신 내용에 대한 답변입니다: 배송은 내일 도착할 예정이며, 추가 문의는 이 메일에 회신해 주세요".into(),
            text: "안녕하세요, 고객님.\n주문하신 상품은 내일 도착합니다.\n\n감사합니다.\n".into(),
            html: "<p>안녕하세요, 고객님.</p>\n<p>주문하신 상품은 <b>내일</b> 도착합니다.</p>\n".into(),
            message_id: "<email-42@relaydesk>".into(),
            unsubscribe: Some("https://desk.example.com/unsubscribe/7f3a?t=abc".into()),
        }
    }

    #[tokio::test]
    async fn a_korean_email_arrives_and_decodes() {
        let smtp = FakeSmtp::start();
        let sent = email("고객 <customer@example.com>");
        mailer(&smtp).send(&sent).await.expect("sent");

        let got = smtp.received();
        assert_eq!(got.len(), 1, "{got:#?}");
        let got = &got[0];
        assert_eq!(got.from, "support@example.com");
        assert_eq!(got.to, ["customer@example.com"]);
        assert_eq!(got.subject(), sent.subject);
        assert_eq!(got.text(), sent.text);
        assert_eq!(got.html(), sent.html);
        assert_eq!(
            got.header("message-id").as_deref(),
            Some("<email-42@relaydesk>")
        );
        assert_eq!(
            got.header("List-Unsubscribe").as_deref(),
            Some("<https://desk.example.com/unsubscribe/7f3a?t=abc>")
        );
        assert_eq!(
            got.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        let from = got.header("From").unwrap_or_default();
        assert!(from.contains("<support@example.com>"), "{from}");
        assert!(got.header("Date").is_some(), "{}", got.data);
        let kind = got.header("Content-Type").unwrap_or_default();
        assert!(kind.starts_with("multipart/alternative"), "{kind}");
    }

    #[tokio::test]
    async fn without_an_unsubscribe_link_there_is_no_list_header() {
        let smtp = FakeSmtp::start();
        let sent = Email {
            unsubscribe: None,
            ..email("customer@example.com")
        };
        mailer(&smtp).send(&sent).await.expect("sent");
        let got = &smtp.received()[0];
        assert_eq!(got.header("List-Unsubscribe"), None);
        assert_eq!(got.header("List-Unsubscribe-Post"), None);
    }

    #[tokio::test]
    async fn a_4xx_is_temporary_and_a_5xx_permanent() {
        let smtp = FakeSmtp::start();
        let mailer = mailer(&smtp);
        let sent = email("customer@example.com");

        smtp.refuse_temporarily(1);
        match mailer.send(&sent).await {
            Err(SendError::Temporary(text)) => assert!(text.contains("451"), "{text}"),
            other => panic!("expected a temporary error, got {other:?}"),
        }
        smtp.refuse_permanently();
        match mailer.send(&sent).await {
            Err(SendError::Permanent(text)) => assert!(text.contains("550"), "{text}"),
            other => panic!("expected a permanent error, got {other:?}"),
        }
        smtp.accept_all();
        mailer.send(&sent).await.expect("sent once accepted");
        assert_eq!(smtp.refused(), 2);
        assert_eq!(smtp.received().len(), 1);
    }

    #[tokio::test]
    async fn a_closed_port_is_temporary() {
        let port = closed_port();
        let mailer = Mailer::new(&settings(port, Tls::None, None)).expect("mailer");
        match mailer.send(&email("customer@example.com")).await {
            Err(SendError::Temporary(text)) => {
                assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}")
            }
            other => panic!("expected a temporary error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn what_cannot_be_written_is_permanent_and_never_sent() {
        let smtp = FakeSmtp::start();
        let mailer = mailer(&smtp);
        let bad = [
            email("not an address"),
            Email {
                message_id: "<a b@relaydesk>".into(),
                ..email("customer@example.com")
            },
            Email {
                unsubscribe: Some("https://x.example/u\r\nBcc: all@example.com".into()),
                ..email("customer@example.com")
            },
        ];
        for email in &bad {
            match mailer.send(email).await {
                Err(SendError::Permanent(_)) => {}
                other => panic!("expected a permanent error for {email:?}, got {other:?}"),
            }
        }
        assert!(smtp.received().is_empty());
    }

    #[tokio::test]
    async fn check_connects_or_says_why_not() {
        let smtp = FakeSmtp::start();
        assert_eq!(mailer(&smtp).check().await, Ok(()));

        let port = closed_port();
        let mailer = Mailer::new(&settings(port, Tls::None, None)).expect("mailer");
        let reason = mailer.check().await.expect_err("closed port");
        assert!(
            reason.starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
            "{reason}"
        );
        assert!(!reason.contains('\n'), "{reason}");
    }

    #[tokio::test]
    async fn with_tls_none_the_login_goes_to_the_server() {
        let smtp = FakeSmtp::start();
        let login = Some(("desk@example.com", "s3cret-pw"));
        let mailer = Mailer::new(&settings(smtp.port(), Tls::None, login)).expect("mailer");
        mailer.check().await.expect("check");
        mailer
            .send(&email("customer@example.com"))
            .await
            .expect("sent");
        let expected = ("desk@example.com".to_owned(), "s3cret-pw".to_owned());
        assert_eq!(smtp.logins(), [expected.clone(), expected]);

        smtp.refuse_permanently();
        let error = mailer
            .send(&email("customer@example.com"))
            .await
            .expect_err("refused");
        assert!(!error.to_string().contains("s3cret-pw"), "{error}");
    }

    #[tokio::test]
    async fn without_encryption_on_offer_no_login_is_sent() {
        // The fake speaks plain SMTP and offers no STARTTLS.
        let smtp = FakeSmtp::start();
        let login = Some(("desk@example.com", "s3cret-pw"));
        for tls in [Tls::Starttls, Tls::Tls] {
            let mailer = Mailer::new(&settings(smtp.port(), tls, login)).expect("mailer");
            let reason = mailer.check().await.expect_err("no TLS");
            assert!(
                reason.contains(&format!("127.0.0.1:{}", smtp.port())),
                "{reason}"
            );
            let sent = mailer.send(&email("customer@example.com")).await;
            assert!(matches!(sent, Err(SendError::Temporary(_))), "{sent:?}");
        }
        assert!(smtp.logins().is_empty(), "{:?}", smtp.logins());
        assert!(smtp.received().is_empty());
    }

    #[test]
    fn settings_that_cannot_work_name_their_key() {
        let ok = settings(587, Tls::Starttls, None);
        let error = |s: SmtpSettings| Mailer::new(&s).err().unwrap_or_default();
        assert!(Mailer::new(&ok).is_ok());
        assert!(error(SmtpSettings {
            from: "Support".into(),
            ..ok.clone()
        })
        .starts_with("smtp.from: "),);
        assert!(error(SmtpSettings {
            host: " ".into(),
            ..ok.clone()
        })
        .starts_with("smtp.host: "));
        assert!(error(SmtpSettings {
            username: Some("desk".into()),
            ..ok.clone()
        })
        .starts_with("smtp.password: "));
        let no_user = SmtpSettings {
            password: Some(SecretString::from("pw".to_owned())),
            ..ok.clone()
        };
        assert!(error(no_user).starts_with("smtp.username: "));
    }

    #[test]
    fn a_password_echoed_by_the_server_is_taken_out() {
        let s = settings(25, Tls::None, Some(("desk", "hunter2")));
        let mailer = Mailer::new(&s).expect("mailer");
        assert_eq!(
            mailer.redact("535 bad password hunter2".into()),
            "535 bad password [password]"
        );
    }

    /// A port nothing listens on.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    }
}
