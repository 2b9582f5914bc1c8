//! A small in-memory BM25 index: a term dictionary and, per field, compressed-row
//! posting lists. Two fields share the dictionary: section bodies and article titles.

use std::collections::HashMap;

/// One (document, term frequency) pair of a posting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    pub doc: u32,
    pub tf: u32,
}

/// Term strings to dense ids.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    ids: HashMap<Box<str>, u32>,
}

impl Vocabulary {
    pub(crate) fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(term.into(), id);
        id
    }

    pub(crate) fn get(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    pub(crate) fn debug_terms(&self) -> Vec<(String, u32)> {
        self.ids.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// One indexed field: for every term its postings and idf, for every document the
/// length normalisation of BM25, precomputed so a query does one division per posting.
#[derive(Debug, Default)]
pub(crate) struct Field {
    offsets: Vec<u32>,
    postings: Vec<Posting>,
    idf: Vec<f32>,
    norms: Vec<f32>,
    unknown_idf: f32,
}

impl Field {
    pub(crate) fn postings(&self, term: u32) -> &[Posting] {
        let t = term as usize;
        match (self.offsets.get(t), self.offsets.get(t + 1)) {
            (Some(&a), Some(&b)) => &self.postings[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The idf of a term, the idf of a term that occurs nowhere for an unknown one.
    pub(crate) fn idf(&self, term: Option<u32>) -> f32 {
        term.and_then(|t| self.idf.get(t as usize).copied())
            .unwrap_or(self.unknown_idf)
    }

    /// `k1 · (1 − b + b · len / avglen)` of a document.
    pub(crate) fn norm(&self, doc: u32) -> f32 {
        self.norms.get(doc as usize).copied().unwrap_or(1.0)
    }

    pub(crate) fn docs(&self) -> usize {
        self.norms.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.postings.capacity() * std::mem::size_of::<Posting>()
            + self.idf.capacity() * 4
            + self.norms.capacity() * 4
    }
}

/// Collects documents of one field, then freezes them into a [`Field`].
#[derive(Debug, Default)]
pub(crate) struct FieldBuilder {
    entries: Vec<(u32, u32, u32)>,
    lens: Vec<u32>,
}

impl FieldBuilder {
    /// Adds the next document (ids are consecutive from 0) with its term frequencies.
    pub(crate) fn add(&mut self, tfs: impl IntoIterator<Item = (u32, u32)>) -> u32 {
        let doc = u32::try_from(self.lens.len()).unwrap_or(u32::MAX);
        let mut len = 0u32;
        for (term, tf) in tfs {
            len = len.saturating_add(tf);
            self.entries.push((term, doc, tf));
        }
        self.lens.push(len);
        doc
    }

    pub(crate) fn build(mut self, terms: usize, k1: f32, b: f32) -> Field {
        self.entries.sort_unstable();
        let n = self.lens.len() as f32;
        let mut offsets = Vec::with_capacity(terms + 1);
        let mut postings = Vec::with_capacity(self.entries.len());
        let mut idf = Vec::with_capacity(terms);
        let mut next = self.entries.iter().peekable();
        for term in 0..terms as u32 {
            offsets.push(postings.len() as u32);
            while let Some(&&(t, doc, tf)) = next.peek() {
                if t != term {
                    break;
                }
                postings.push(Posting { doc, tf });
                next.next();
            }
            let df = (postings.len() - offsets[term as usize] as usize) as f32;
            idf.push(bm25_idf(n, df));
        }
        offsets.push(postings.len() as u32);
        let total: u64 = self.lens.iter().map(|&l| u64::from(l)).sum();
        let avg = (total as f32 / n.max(1.0)).max(1.0);
        let norms = self
            .lens
            .iter()
            .map(|&len| k1 * (1.0 - b + b * len as f32 / avg))
            .collect();
        Field {
            offsets,
            postings,
            idf,
            norms,
            unknown_idf: bm25_idf(n, 0.0),
        }
    }
}

/// The always-positive idf of Lucene's BM25.
fn bm25_idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_and_idf() {
        let mut b = FieldBuilder::default();
        b.add([(0, 2), (1, 1)]);
        b.add([(1, 3)]);
        b.add([]);
        let f = b.build(3, 1.2, 0.75);
        assert_eq!(f.postings(0), &[Posting { doc: 0, tf: 2 }]);
        assert_eq!(f.postings(1).len(), 2);
        assert!(f.postings(2).is_empty());
        assert!(f.postings(99).is_empty());
        assert!(f.idf(Some(0)) > f.idf(Some(1)));
        assert!(f.idf(None) > f.idf(Some(0)));
        assert_eq!(f.docs(), 3);
    }
}
