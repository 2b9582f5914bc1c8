//! Indexing: articles split into sections, every field tokenized into the shared
//! vocabulary and frozen into posting lists.

use super::{HelpCenter, Section};
use crate::article::Article;
use crate::config::SearchConfig;
use crate::index::{FieldBuilder, Vocabulary};
use crate::markdown::{self, Line};
use crate::tokenize::Tokenizer;
use std::collections::{HashMap, HashSet};

impl HelpCenter {
    /// [`HelpCenter::from_articles`] with explicit search settings.
    pub fn with_config(articles: Vec<Article>, config: SearchConfig) -> HelpCenter {
        let mut seen = HashSet::new();
        let articles: Vec<Article> = articles
            .into_iter()
            .filter(|a| {
                let fresh = seen.insert(a.id.clone());
                if !fresh {
                    tracing::warn!(id = %a.id, "duplicate article id ignored");
                }
                fresh
            })
            .collect();
        let tokenizer = Tokenizer::default();
        let mut vocab = Vocabulary::default();
        let mut body = FieldBuilder::default();
        let mut whole = FieldBuilder::default();
        let mut title = FieldBuilder::default();
        let mut sections = Vec::new();
        let mut first_section = Vec::with_capacity(articles.len() + 1);
        let mut tf: HashMap<u32, u32> = HashMap::new();
        let mut article_tf: HashMap<u32, u32> = HashMap::new();
        for article in &articles {
            first_section.push(sections.len() as u32);
            let titles = std::iter::once(&article.title).chain(&article.tags);
            for text in titles.chain(&article.questions) {
                tokenizer.tokens(text, |t| *tf.entry(vocab.intern(t)).or_insert(0) += 1);
            }
            title.add(tf.drain());
            for range in markdown::sections(&article.body) {
                for (_, line) in markdown::lines(&article.body[range.clone()]) {
                    let (text, weight) = match line {
                        // The title is indexed in its own field already.
                        Line::Heading { level: 1, text } if text == article.title => continue,
                        Line::Heading { text, .. } => (text, config.heading_weight),
                        Line::Text(text) | Line::Code(text) => (text, 1),
                        Line::Blank | Line::Fence => continue,
                    };
                    tokenizer.tokens(text, |t| *tf.entry(vocab.intern(t)).or_insert(0) += weight);
                }
                for (&term, &n) in &tf {
                    *article_tf.entry(term).or_insert(0) += n;
                }
                body.add(tf.drain());
                sections.push(Section { range });
            }
            whole.add(article_tf.drain());
        }
        first_section.push(sections.len() as u32);
        let terms = vocab.len();
        HelpCenter {
            body: body.build(terms, config.k1, config.b),
            whole: whole.build(terms, config.k1, config.b),
            title: title.build(terms, config.k1, config.b),
            articles,
            sections,
            first_section,
            vocab,
            tokenizer,
            config,
            semantic: None,
        }
    }
}
