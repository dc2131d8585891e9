//! Top-k by BM25 × recency boost that keeps tantivy's Block-WAND pruning.
//!
//! The boost lies in [1, 1 + W], and within a segment it is at most the boost of the
//! segment's newest date, so a document whose BM25 score is at most `kth_boosted / max_boost`
//! cannot enter the top k whatever its date. Handing that bound to `Weight::for_each_pruning`
//! as the threshold lets Block-WAND skip whole blocks as it does for plain BM25, and the
//! result is exactly the brute-force ranking (tests/ranking.rs checks it against boosting
//! every match).
//!
//! With `only`, documents outside a bitset per segment (the papers with every word) are
//! passed over: the union of the words is then pruned as any union is, and the k-th best
//! comes from the kept documents alone, so the bound stays exact.
//!
//! Segments also share their k-th best score: each is a lower bound of the final k-th, so a
//! later segment starts pruning at once instead of from zero (tantivy's `TopDocs` starts every
//! segment over), and segments collected at the same time on the search threads raise the
//! bound for each other as they go.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, Term};

use super::count::all_of;
use super::Recency;
use crate::index::Dates;

/// Collects the best `offset + limit` documents by boosted score and returns the `limit`
/// after `offset`, best first (ties: lower address first, as tantivy's `TopDocs`).
pub struct BoostedTopDocs {
    pub limit: usize,
    pub offset: usize,
    /// None ranks by BM25 alone.
    pub recency: Option<Recency>,
    /// Bits of the best k-th boosted score any segment has reached (scores are >= 0, whose
    /// bits order as the floats do); 0 until one segment holds k documents.
    kth: AtomicU32,
    /// The searcher's date columns, opened once per reader generation.
    dates: Arc<Dates>,
    /// Only documents holding a term of every group are collected (`count::all_of`: the
    /// papers with every word, collected from the union of the words so Block-WAND still
    /// prunes); `counted` adds up how many each segment holds, for the total.
    only: Option<Arc<[Vec<Term>]>>,
    counted: AtomicUsize,
}

impl BoostedTopDocs {
    pub fn new(
        limit: usize,
        offset: usize,
        recency: Option<Recency>,
        dates: Arc<Dates>,
    ) -> BoostedTopDocs {
        BoostedTopDocs {
            limit,
            offset,
            recency,
            kth: AtomicU32::new(0),
            dates,
            only: None,
            counted: AtomicUsize::new(0),
        }
    }

    /// Keeps only the documents that hold a term of every group.
    pub fn only(mut self, groups: Arc<[Vec<Term>]>) -> BoostedTopDocs {
        self.only = Some(groups);
        self
    }

    /// With `only`: the live documents holding a term of every group, over the segments
    /// collected so far.
    pub fn counted(&self) -> usize {
        self.counted.load(AtomicOrdering::Relaxed)
    }

    fn k(&self) -> usize {
        (self.limit + self.offset).max(1)
    }

    /// The best k-th score any segment has reached so far; 0 until one holds k documents.
    fn shared_kth(&self) -> Score {
        f32::from_bits(self.kth.load(AtomicOrdering::Relaxed))
    }

    fn share_kth(&self, kth: Score) {
        if kth > 0.0 {
            self.kth.fetch_max(kth.to_bits(), AtomicOrdering::Relaxed);
        }
    }
}

/// The BM25 score a document must exceed to possibly beat `kth` once boosted by at most
/// `max_boost`; a little under the exact bound so f32 rounding of the boost can never drop
/// a true hit.
fn bm25_threshold(kth: Score, max_boost: Score) -> Score {
    kth / max_boost * (1.0 - 8.0 * f32::EPSILON)
}

struct Entry {
    score: Score,
    doc: DocId,
}

impl Ord for Entry {
    /// Greater = better: higher score, then lower doc.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

pub struct BoostedSegment {
    k: usize,
    /// Min-heap of the best `k` so far: its top is the k-th best.
    heap: BinaryHeap<Reverse<Entry>>,
    dates: Option<Column<i64>>,
    recency: Option<Recency>,
    /// Boost per day from the segment's oldest date, built once more documents were scored
    /// than the segment spans days: then a lookup replaces a `powf` per document.
    boosts: Vec<Score>,
    oldest: i64,
    span: Option<usize>,
    scored: usize,
    /// Largest boost in this segment: that of its newest date (undated papers get 1). Older
    /// segments of a chronological corpus get a tighter bound, so they prune more.
    max_boost: Score,
    segment: SegmentOrdinal,
    /// With `BoostedTopDocs::only`: a bit per document that may be collected.
    only: Option<Vec<u64>>,
}

/// Widest date span, in days, that gets a boost table (longer spans compute each boost).
const MAX_TABLE_DAYS: i64 = 1 << 16;

impl BoostedSegment {
    #[inline]
    fn excluded(&self, doc: DocId) -> bool {
        self.only
            .as_ref()
            .is_some_and(|bits| bits[(doc / 64) as usize] & (1 << (doc % 64)) == 0)
    }

    #[inline]
    fn boosted(&mut self, doc: DocId, bm25: Score) -> Score {
        let Some(r) = self.recency else {
            return bm25;
        };
        self.scored += 1;
        if self.span.is_some_and(|days| self.scored == days) {
            let oldest = self.oldest;
            self.boosts = (0..self.scored as i64)
                .map(|d| r.boost(Some(oldest + d)))
                .collect();
        }
        let date = self.dates.as_ref().and_then(|c| c.first(doc));
        let boost = match date {
            Some(d) => match self.boosts.get((d - self.oldest) as usize) {
                Some(&b) => b,
                None => r.boost(Some(d)),
            },
            None => 1.0,
        };
        bm25 * boost
    }

    /// Offers a document; returns the k-th best score once k documents are held.
    #[inline]
    fn push(&mut self, doc: DocId, bm25: Score) -> Option<Score> {
        let entry = Entry {
            score: self.boosted(doc, bm25),
            doc,
        };
        if self.heap.len() < self.k {
            self.heap.push(Reverse(entry));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            // Documents arrive in increasing order, so an equal score never displaces.
            if entry.score > worst.0.score {
                *worst = Reverse(entry);
            }
        }
        (self.heap.len() == self.k).then(|| self.heap.peek().map_or(Score::MIN, |e| e.0.score))
    }
}

impl SegmentCollector for BoostedSegment {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.excluded(doc) {
            self.push(doc, score);
        }
    }

    fn harvest(self) -> Self::Fruit {
        let segment = self.segment;
        self.heap
            .into_iter()
            .map(|Reverse(e)| (e.score, DocAddress::new(segment, e.doc)))
            .collect()
    }
}

impl Collector for BoostedTopDocs {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = BoostedSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<BoostedSegment> {
        let only = match &self.only {
            Some(groups) => {
                let bits = all_of(reader, groups)?;
                let n = bits.iter().map(|w| w.count_ones() as usize).sum();
                self.counted.fetch_add(n, AtomicOrdering::Relaxed);
                Some(bits)
            }
            None => None,
        };
        let dates = self
            .recency
            .and_then(|_| self.dates.columns.get(segment as usize).cloned().flatten());
        let (mut oldest, mut span, mut max_boost) = (0, None, 1.0);
        if let (Some(r), Some(col)) = (self.recency, &dates) {
            let (min, max) = (col.min_value(), col.max_value());
            if col.values.num_vals() > 0 {
                max_boost = r.boost(Some(max)).max(1.0);
                if max - min < MAX_TABLE_DAYS {
                    oldest = min;
                    span = Some((max - min + 1) as usize);
                }
            }
        }
        Ok(BoostedSegment {
            k: self.k(),
            heap: BinaryHeap::with_capacity(self.k()),
            dates,
            recency: self.recency,
            boosts: Vec::new(),
            oldest,
            span,
            scored: 0,
            max_boost,
            segment,
            only,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(all.into_iter().skip(self.offset).take(self.limit).collect())
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Fruit> {
        let mut seg = self.for_segment(segment, reader)?;
        let alive = reader.alive_bitset();
        // A document at or under any segment's k-th cannot make the final top k (ties still
        // pass, the bound being a little under the exact one). Segments collected at the same
        // time on the search threads raise the shared k-th for each other as they go.
        let max_boost = seg.max_boost;
        let bound = move |kth: Score| {
            if kth > 0.0 {
                bm25_threshold(kth, max_boost)
            } else {
                Score::MIN
            }
        };
        let mut local = Score::MIN;
        let mut threshold = bound(self.shared_kth());
        weight.for_each_pruning(threshold, reader, &mut |doc, bm25| {
            if alive.is_some_and(|a| a.is_deleted(doc)) || seg.excluded(doc) {
                return threshold;
            }
            if let Some(kth) = seg.push(doc, bm25) {
                if kth > local {
                    local = kth;
                    self.share_kth(kth);
                }
            }
            // One relaxed load: the shared k-th only grows (ours included), so it is the bound.
            threshold = bound(self.shared_kth());
            threshold
        })?;
        Ok(seg.harvest())
    }
}
