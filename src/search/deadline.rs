//! Time budgets inside a search: a weight that stops collecting once its deadline has passed,
//! so a search that ran out of time frees its thread instead of running to the end.

use std::time::Instant;

use tantivy::collector::Collector;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use crate::error::{Error, Result};

/// Documents visited between two looks at the clock (`Instant::now` costs about 25 ns; a
/// posting is a few).
const CHECK_EVERY: u32 = 4096;

/// When a search must stop, if ever.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    pub fn at(when: Option<Instant>) -> Deadline {
        Deadline(when)
    }

    pub fn passed(self) -> bool {
        self.0.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err(TimedOut)` once the deadline has passed: between the steps of a search.
    pub fn check(self) -> Result<()> {
        if self.passed() {
            Err(Error::TimedOut)
        } else {
            Ok(())
        }
    }

    /// `Searcher::search_with_executor`, stopping inside each segment at the deadline; a
    /// collection cut short is `Err(TimedOut)`, never a partial answer. `wand` says that
    /// `query` is a union of terms, which tantivy prunes with Block-WAND.
    pub fn search<C: Collector>(
        self,
        searcher: &Searcher,
        query: &dyn Query,
        wand: bool,
        collector: &C,
        executor: &tantivy::Executor,
        scoring: EnableScoring,
    ) -> Result<C::Fruit> {
        let Some(deadline) = self.0 else {
            return Ok(searcher.search_with_executor(query, collector, executor, scoring)?);
        };
        self.check()?;
        let weight = Timed {
            inner: query.weight(scoring)?,
            deadline,
            wand,
        };
        let fruits = executor.map(
            |(ord, reader)| collector.collect_segment(&weight, ord as u32, reader),
            searcher.segment_readers().iter().enumerate(),
        )?;
        self.check()?;
        Ok(collector.merge_fruits(fruits)?)
    }
}

/// A weight whose scorers end (`TERMINATED`) once the deadline has passed.
struct Timed {
    inner: Box<dyn Weight>,
    deadline: Instant,
    /// The inner weight prunes with Block-WAND, which stops early once told to.
    wand: bool,
}

impl Weight for Timed {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if Instant::now() >= self.deadline {
            return Ok(Box::new(tantivy::query::EmptyScorer));
        }
        Ok(Box::new(TimedScorer {
            inner: self.inner.scorer(reader, boost)?,
            deadline: self.deadline,
            countdown: CHECK_EVERY,
            stopped: false,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        // The inner count keeps its shortcuts (a term's document frequency); a segment that
        // starts after the deadline is not counted at all.
        if Instant::now() >= self.deadline {
            return Ok(0);
        }
        self.inner.count(reader)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        if Instant::now() >= self.deadline {
            return Ok(());
        }
        if !self.wand {
            // tantivy's own loop for scorers that do not prune, over a scorer that ends at
            // the deadline (the inner one would run to the end of the segment).
            let mut scorer = self.scorer(reader, 1.0)?;
            let mut threshold = threshold;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                let score = scorer.score();
                if score > threshold {
                    threshold = callback(doc, score);
                }
                doc = scorer.advance();
            }
            return Ok(());
        }
        // Block-WAND stays; past the deadline an infinite threshold lets it skip every
        // remaining block without scoring.
        let mut countdown = CHECK_EVERY;
        let mut stopped = false;
        self.inner
            .for_each_pruning(threshold, reader, &mut |doc, score| {
                if stopped {
                    return Score::INFINITY;
                }
                countdown -= 1;
                if countdown == 0 {
                    countdown = CHECK_EVERY;
                    if Instant::now() >= self.deadline {
                        stopped = true;
                        return Score::INFINITY;
                    }
                }
                callback(doc, score)
            })
    }
}

struct TimedScorer {
    inner: Box<dyn Scorer>,
    deadline: Instant,
    countdown: u32,
    stopped: bool,
}

impl TimedScorer {
    fn out_of_time(&mut self) -> bool {
        self.countdown -= 1;
        if self.countdown == 0 {
            self.countdown = CHECK_EVERY;
            self.stopped = Instant::now() >= self.deadline;
        }
        self.stopped
    }
}

impl DocSet for TimedScorer {
    fn advance(&mut self) -> DocId {
        if self.stopped || self.out_of_time() {
            return TERMINATED;
        }
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.stopped || self.out_of_time() {
            return TERMINATED;
        }
        self.inner.seek(target)
    }

    fn doc(&self) -> DocId {
        if self.stopped {
            TERMINATED
        } else {
            self.inner.doc()
        }
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for TimedScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::AllQuery;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index};

    use super::*;

    fn searcher(n: usize) -> Searcher {
        let mut schema = Schema::builder();
        let f = schema.add_text_field("f", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        for i in 0..n {
            writer
                .add_document(doc!(f => format!("t{}", i % 7)))
                .unwrap();
        }
        writer.commit().unwrap();
        index.reader().unwrap().searcher()
    }

    #[test]
    fn a_search_within_its_deadline_gives_what_tantivy_gives() {
        let s = searcher(20_000);
        let exec = tantivy::Executor::single_thread();
        let later = Deadline::at(Some(Instant::now() + Duration::from_secs(600)));
        let scoring = EnableScoring::enabled_from_searcher(&s);
        let top = || TopDocs::with_limit(5).order_by_score();
        let (docs, n) = later
            .search(&s, &AllQuery, false, &(top(), Count), &exec, scoring)
            .unwrap();
        let (want_docs, want_n) = s.search(&AllQuery, &(top(), Count)).unwrap();
        assert_eq!((docs, n), (want_docs, want_n));
        assert_eq!(n, 20_000);
    }

    #[test]
    fn a_search_past_its_deadline_is_timed_out_never_partial() {
        let s = searcher(20_000);
        let exec = tantivy::Executor::single_thread();
        let past = Deadline::at(Some(Instant::now()));
        let scoring = EnableScoring::disabled_from_searcher(&s);
        let got = past.search(&s, &AllQuery, false, &Count, &exec, scoring);
        assert!(matches!(got, Err(Error::TimedOut)), "{got:?}");
    }

    #[test]
    fn a_scorer_ends_once_the_deadline_passes() {
        let s = searcher(3 * CHECK_EVERY as usize);
        let reader = &s.segment_readers()[0];
        let scoring = EnableScoring::disabled_from_searcher(&s);
        let weight = Timed {
            inner: AllQuery.weight(scoring).unwrap(),
            deadline: Instant::now() + Duration::from_millis(30),
            wand: false,
        };
        let mut scorer = weight.scorer(reader, 1.0).unwrap();
        let mut seen = 0u32;
        while scorer.doc() != TERMINATED {
            seen += 1;
            if seen == CHECK_EVERY / 2 {
                std::thread::sleep(Duration::from_millis(40));
            }
            scorer.advance();
        }
        assert!(seen <= CHECK_EVERY + 1, "visited {seen} after the deadline");
        assert_eq!(scorer.doc(), TERMINATED);
    }
}
