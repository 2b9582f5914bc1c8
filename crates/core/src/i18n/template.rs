//! A sentence with holes: `I've opened ticket #{number} with the {queue} team.`
//!
//! - `{name}` is the value called `name`;
//! - `{name|을}` is the value, then the Korean particle that fits its last sound
//!   ([`super::particle`]);
//! - `{{` and `}}` are a brace itself.

use std::fmt::Display;

use super::particle::Particle;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Value {
        name: String,
        particle: Option<Particle>,
    },
}

impl Template {
    /// Parses `source`; also every mistake in it, as sentences that name what is wrong
    /// (the template keeps what could be read).
    pub(crate) fn parse(source: &str) -> (Template, Vec<String>) {
        let mut pieces = Vec::new();
        let mut problems = Vec::new();
        let mut text = String::new();
        let mut chars = source.char_indices().peekable();
        // Character positions, from 1, for messages.
        let position = |byte: usize| source[..byte].chars().count() + 1;
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '{' => {
                    let rest = &source[at + 1..];
                    match rest.find(['{', '}']) {
                        Some(end) if rest[end..].starts_with('}') => {
                            let inner = &rest[..end];
                            // Skip to just after the `}`.
                            while chars.next_if(|&(i, _)| i <= at + end + 1).is_some() {}
                            if !text.is_empty() {
                                pieces.push(Piece::Text(std::mem::take(&mut text)));
                            }
                            let (name, particle) = match inner.split_once('|') {
                                Some((name, form)) => (name.trim(), Some(form.trim())),
                                None => (inner.trim(), None),
                            };
                            if name.is_empty() {
                                problems.push(format!(
                                    "`{{{inner}}}` at character {} names no value",
                                    position(at)
                                ));
                            }
                            let particle = match particle {
                                None => None,
                                Some(form) => match Particle::parse(form) {
                                    Some(p) => Some(p),
                                    None => {
                                        problems.push(format!(
                                            "`{{{inner}}}`: `{form}` is not a particle that can be fitted to the word before it; the particles are {} (either form names its pair)",
                                            Particle::all_pairs()
                                        ));
                                        None
                                    }
                                },
                            };
                            pieces.push(Piece::Value {
                                name: name.to_string(),
                                particle,
                            });
                        }
                        _ => {
                            problems.push(format!(
                                "the `{{` at character {} is not closed by a `}}` (write `{{{{` for a brace itself)",
                                position(at)
                            ));
                            text.push('{');
                        }
                    }
                }
                '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => {
                    problems.push(format!(
                        "the `}}` at character {} closes no `{{` (write `}}}}` for a brace itself)",
                        position(at)
                    ));
                    text.push('}');
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        (Template { pieces }, problems)
    }

    /// The names of the values it uses, in order, with repeats.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Value { name, .. } => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// True when it uses no value: its text is always the same.
    pub(crate) fn is_fixed(&self) -> bool {
        self.names().next().is_none()
    }

    /// The sentence, with each value from `args` (by name). A name `args` lacks stays as
    /// `{name}` (the catalogue checks every template's names before it uses it).
    pub(crate) fn render(&self, args: &[(&str, &dyn Display)]) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Value { name, particle } => match args.iter().find(|(n, _)| n == name) {
                    Some((_, value)) => {
                        let value = value.to_string();
                        out.push_str(&value);
                        if let Some(particle) = particle {
                            out.push_str(particle.after(&value));
                        }
                    }
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, args: &[(&str, &dyn Display)]) -> String {
        let (template, problems) = Template::parse(source);
        assert!(problems.is_empty(), "{problems:?}");
        template.render(args)
    }

    #[test]
    fn values_and_braces() {
        assert_eq!(
            render(
                "ticket #{number} in {queue}",
                &[("number", &7), ("queue", &"sales")]
            ),
            "ticket #7 in sales"
        );
        assert_eq!(render("{{literal}} {x}", &[("x", &1)]), "{literal} 1");
        assert_eq!(render("no values", &[]), "no values");
        assert_eq!(render("{x}{x}", &[("x", &"ab")]), "abab");
    }

    #[test]
    fn particles_follow_the_value() {
        for (n, expected) in [(1, "티켓 #1을"), (2, "티켓 #2를"), (10, "티켓 #10을")] {
            assert_eq!(render("티켓 #{number|을}", &[("number", &n)]), expected);
            assert_eq!(render("티켓 #{number|를}", &[("number", &n)]), expected);
        }
        assert_eq!(
            render("{who | 이} 왔어요", &[("who", &"Grace")]),
            "Grace가 왔어요"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let problems = |s: &str| Template::parse(s).1;
        assert!(problems("ticket #{number")[0].contains("character 9 is not closed"));
        assert!(problems("ticket #{number {queue}")[0].contains("is not closed"));
        assert!(problems("ticket number}")[0].contains("closes no"));
        assert!(problems("ticket {}")[0].contains("names no value"));
        let particle = &problems("티켓 {number|의}")[0];
        assert!(particle.contains("`의` is not a particle"), "{particle}");
        assert!(particle.contains("을/를"), "{particle}");
        assert!(problems("{{ok}} {fine|을}").is_empty());
    }
}
