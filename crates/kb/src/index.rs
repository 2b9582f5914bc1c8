//! A small in-memory BM25 index: a term dictionary and, per field, compressed-row
//! posting lists. Two fields share the dictionary: section bodies and article titles.

use std::collections::HashMap;

/// One (document, term frequency) pair of a posting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    pub doc: u32,
    pub tf: u32,
}

/// Term frequencies are stored in a byte: BM25 saturates long before 255 occurrences.
const MAX_TF: u32 = u8::MAX as u32;

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

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// An estimate of the heap the dictionary takes: the strings plus one table slot each.
    pub(crate) fn heap_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(Box<str>, u32)>() + 1;
        self.ids.keys().map(|k| k.len()).sum::<usize>() + self.ids.capacity() * slot
    }
}

/// One indexed field: for every term its postings and idf, for every document the
/// length normalisation of BM25, precomputed so a query does one division per posting.
#[derive(Debug, Default)]
pub(crate) struct Field {
    offsets: Vec<u32>,
    /// Documents of all posting lists, back to back; `tfs` runs alongside.
    docs: Vec<u32>,
    tfs: Vec<u8>,
    idf: Vec<f32>,
    norms: Vec<f32>,
}

impl Field {
    pub(crate) fn postings(&self, term: u32) -> impl Iterator<Item = Posting> + '_ {
        let t = term as usize;
        let range = match (self.offsets.get(t), self.offsets.get(t + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        };
        let docs = self.docs.get(range.clone()).unwrap_or(&[]);
        let tfs = self.tfs.get(range).unwrap_or(&[]);
        docs.iter().zip(tfs).map(|(&doc, &tf)| Posting {
            doc,
            tf: u32::from(tf),
        })
    }

    /// The idf of a term (0 for an id outside the vocabulary).
    pub(crate) fn idf(&self, term: u32) -> f32 {
        self.idf.get(term as usize).copied().unwrap_or(0.0)
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
            + self.docs.capacity() * 4
            + self.tfs.capacity()
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
        let mut docs = Vec::with_capacity(self.entries.len());
        let mut tfs = Vec::with_capacity(self.entries.len());
        let mut idf = Vec::with_capacity(terms);
        let mut next = self.entries.iter().peekable();
        for term in 0..terms as u32 {
            offsets.push(docs.len() as u32);
            while let Some(&&(t, doc, tf)) = next.peek() {
                if t != term {
                    break;
                }
                docs.push(doc);
                tfs.push(tf.min(MAX_TF) as u8);
                next.next();
            }
            let df = (docs.len() - offsets[term as usize] as usize) as f32;
            idf.push(bm25_idf(n, df));
        }
        offsets.push(docs.len() as u32);
        let total: u64 = self.lens.iter().map(|&l| u64::from(l)).sum();
        let avg = (total as f32 / n.max(1.0)).max(1.0);
        let norms = self
            .lens
            .iter()
            .map(|&len| k1 * (1.0 - b + b * len as f32 / avg))
            .collect();
        Field {
            offsets,
            docs,
            tfs,
            idf,
            norms,
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
        b.add([(1, 3_000)]);
        b.add([]);
        let f = b.build(3, 1.2, 0.75);
        assert_eq!(
            f.postings(0).collect::<Vec<_>>(),
            vec![Posting { doc: 0, tf: 2 }]
        );
        assert_eq!(f.postings(1).count(), 2);
        assert_eq!(f.postings(2).count(), 0);
        assert_eq!(f.postings(99).count(), 0);
        assert!(f.idf(0) > f.idf(1));
        assert_eq!(f.idf(99), 0.0);
        assert_eq!(f.docs(), 3);
        assert_eq!(f.postings(1).last().map(|p| p.tf), Some(255), "saturates");
    }
}
