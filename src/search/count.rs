//! Match totals of term unions counted from the postings, without a scorer, and the papers
//! holding every word as bits ANDed from the words' postings.

use tantivy::query::Query;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, SegmentReader, Term};

/// The terms of `query` if it matches exactly the union of their postings: the caller
/// vouches that it is built of term queries under Should (and boosts) only, and this
/// refuses it if any part needs positions (a phrase). With `subset = Some((a, b))` (every
/// document holding a token in field `a` holds it in field `b` too), a term of `a` whose text
/// is also there in `b` is left out: its postings add nothing to the union.
pub(crate) fn union_terms(query: &dyn Query, subset: Option<(Field, Field)>) -> Option<Vec<Term>> {
    let mut terms: Vec<Term> = Vec::new();
    let mut positional = false;
    query.query_terms(&mut |term, needs_positions| {
        positional |= needs_positions;
        terms.push(term.clone());
    });
    // Pasted prose in plain mode gives hundreds of terms, often repeated.
    terms.sort_unstable();
    terms.dedup();
    if let Some((a, b)) = subset {
        let wider: Vec<Term> = terms.iter().filter(|t| t.field() == b).cloned().collect();
        terms.retain(|t| {
            t.field() != a
                || t.value().as_str().is_none_or(|text| {
                    wider
                        .binary_search(&Term::from_field_text(b, text))
                        .is_err()
                })
        });
    }
    (!positional).then_some(terms)
}

/// How many live documents hold at least one of `terms`. tantivy's count of a union walks
/// a union scorer document by document; this ORs the decoded posting blocks into one bit
/// array per segment and counts its bits.
pub(crate) fn union_count(searcher: &Searcher, terms: &[Term]) -> tantivy::Result<usize> {
    let mut total = 0usize;
    let mut words: Vec<u64> = Vec::new();
    for reader in searcher.segment_readers() {
        let alive = reader.alive_bitset();
        if let ([term], None) = (terms, alive) {
            total += reader.inverted_index(term.field())?.doc_freq(term)? as usize;
            continue;
        }
        words.clear();
        words.resize((reader.max_doc() as usize).div_ceil(64), 0);
        or_postings(reader, terms, &mut words)?;
        total += match alive {
            None => words.iter().map(|w| w.count_ones() as usize).sum(),
            Some(alive) => set_bits(&words).filter(|&doc| alive.is_alive(doc)).count(),
        };
    }
    Ok(total)
}

/// The live documents of one segment that hold, for every group, at least one of its terms
/// (a bit per document): the papers with every word, each word the union of its terms.
pub(crate) fn all_of(reader: &SegmentReader, groups: &[Vec<Term>]) -> tantivy::Result<Vec<u64>> {
    let len = (reader.max_doc() as usize).div_ceil(64);
    let mut acc: Option<Vec<u64>> = None;
    let mut group_bits = vec![0u64; len];
    for group in groups {
        group_bits.fill(0);
        or_postings(reader, group, &mut group_bits)?;
        match &mut acc {
            None => acc = Some(group_bits.clone()),
            Some(acc) => acc.iter_mut().zip(&group_bits).for_each(|(a, g)| *a &= g),
        }
    }
    let mut bits = acc.unwrap_or_else(|| vec![0; len]);
    if let Some(alive) = reader.alive_bitset() {
        for (i, word) in bits.iter_mut().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                if !alive.is_alive(i as u32 * 64 + bit) {
                    *word &= !(1 << bit);
                }
            }
        }
    }
    Ok(bits)
}

/// Sets the bit of every document of one segment that holds any of `terms`, from the decoded
/// posting blocks (no scorer).
fn or_postings(reader: &SegmentReader, terms: &[Term], bits: &mut [u64]) -> tantivy::Result<()> {
    for term in terms {
        let inverted = reader.inverted_index(term.field())?;
        let Some(mut postings) = inverted.read_block_postings(term, IndexRecordOption::Basic)?
        else {
            continue;
        };
        loop {
            let docs = postings.docs();
            if docs.is_empty() {
                break;
            }
            for &doc in docs {
                bits[(doc / 64) as usize] |= 1 << (doc % 64);
            }
            postings.advance();
        }
    }
    Ok(())
}

fn set_bits(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    words.iter().enumerate().flat_map(|(i, &word)| {
        let base = i as u32 * 64;
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                base + bit
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{set_bits, union_terms};
    use proptest::prelude::*;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::Term;

    #[test]
    fn a_subset_fields_term_is_dropped_only_beside_its_wider_twin() {
        let mut schema = Schema::builder();
        let (title, abstract_text) = (
            schema.add_text_field("t", TEXT),
            schema.add_text_field("a", TEXT),
        );
        let term = |f, text| Term::from_field_text(f, text);
        let query = BooleanQuery::new(
            [
                (title, "foo"),
                (abstract_text, "foo"),
                (title, "bar"),
                (title, "foo"),
            ]
            .map(|(f, text)| {
                let q = TermQuery::new(term(f, text), IndexRecordOption::Basic);
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .into(),
        );
        let all = union_terms(&query, None).unwrap();
        assert_eq!(
            all,
            [
                term(title, "bar"),
                term(title, "foo"),
                term(abstract_text, "foo")
            ]
        );
        let kept = union_terms(&query, Some((title, abstract_text))).unwrap();
        assert_eq!(kept, [term(title, "bar"), term(abstract_text, "foo")]);
    }

    proptest! {
        #[test]
        fn set_bits_lists_every_set_bit_once_in_order(
            mut docs in proptest::collection::vec(0u32..1000, 0..200),
        ) {
            let mut words = vec![0u64; 1000usize.div_ceil(64)];
            for &doc in &docs {
                words[(doc / 64) as usize] |= 1 << (doc % 64);
            }
            docs.sort_unstable();
            docs.dedup();
            prop_assert_eq!(set_bits(&words).collect::<Vec<_>>(), docs);
        }
    }
}
