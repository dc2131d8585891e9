//! Facet counts for a result set: every level of the topic tree and the date histogram
//! (years and months), in one pass over the matching documents.

use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::fastfield::FacetReader;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::index::date_from_days;
use crate::ingest::taxonomy::topic_label;

/// Counts per facet path: `/arxiv`, `/arxiv/cs`, `/arxiv/cs/CL` for topics, `/2025`,
/// `/2025/02` for dates. A document counts once per path even with several topics below it.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FacetCounts {
    pub topic: BTreeMap<String, u64>,
    pub date: BTreeMap<String, u64>,
}

/// Facet counts with a display label for every topic path that has one, as `/api/facets`
/// answers: `/arxiv/cs/CL` -> `cs.CL Computation and Language`, `/arxiv/cs` -> `cs Computer
/// Science`. Labels are beside the counts, not in them, so the counts keep their shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LabelledFacets {
    #[serde(flatten)]
    pub counts: FacetCounts,
    pub labels: BTreeMap<String, String>,
}

impl From<FacetCounts> for LabelledFacets {
    fn from(counts: FacetCounts) -> Self {
        let labels = counts
            .topic
            .keys()
            .filter_map(|path| Some((path.clone(), topic_label(path)?)))
            .collect();
        LabelledFacets { counts, labels }
    }
}

pub struct FacetsCollector;

pub struct SegmentFacets {
    topics: FacetReader,
    /// Facet ord -> indices (into `paths`) of the facet and all its ancestors.
    ancestors: Vec<Vec<u32>>,
    paths: Vec<String>,
    topic_counts: Vec<u64>,
    dates: Option<Column<i64>>,
    day_counts: HashMap<i64, u64>,
    seen: Vec<u32>,
}

impl Collector for FacetsCollector {
    type Fruit = FacetCounts;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let topics = reader.facet_reader("topic")?;
        let mut paths: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut ancestors = Vec::with_capacity(topics.num_facets());
        let mut facet = Facet::root();
        for ord in 0..topics.num_facets() as u64 {
            topics.facet_from_ord(ord, &mut facet)?;
            let mut chain = Vec::new();
            let mut prefix = String::new();
            for step in facet.to_path() {
                prefix.push('/');
                prefix.push_str(step);
                let next = paths.len() as u32;
                let id = *index.entry(prefix.clone()).or_insert_with(|| {
                    paths.push(prefix.clone());
                    next
                });
                chain.push(id);
            }
            ancestors.push(chain);
        }
        Ok(SegmentFacets {
            topics,
            ancestors,
            topic_counts: vec![0; paths.len()],
            paths,
            dates: reader.fast_fields().i64("date_days").ok(),
            day_counts: HashMap::new(),
            seen: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut total = FacetCounts::default();
        for fruit in fruits {
            for (k, v) in fruit.topic {
                *total.topic.entry(k).or_default() += v;
            }
            for (k, v) in fruit.date {
                *total.date.entry(k).or_default() += v;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.seen.clear();
        for ord in self.topics.facet_ords(doc) {
            if let Some(chain) = self.ancestors.get(ord as usize) {
                self.seen.extend_from_slice(chain);
            }
        }
        self.seen.sort_unstable();
        self.seen.dedup();
        for &id in &self.seen {
            self.topic_counts[id as usize] += 1;
        }
        if let Some(day) = self.dates.as_ref().and_then(|c| c.first(doc)) {
            *self.day_counts.entry(day).or_default() += 1;
        }
    }

    fn harvest(self) -> FacetCounts {
        let mut out = FacetCounts::default();
        for (path, n) in self.paths.into_iter().zip(self.topic_counts) {
            if n > 0 {
                out.topic.insert(path, n);
            }
        }
        for (day, n) in self.day_counts {
            if let Some(date) = date_from_days(day) {
                *out.date.entry(format!("/{:04}", date.year())).or_default() += n;
                let month = format!("/{:04}/{:02}", date.year(), date.month() as u8);
                *out.date.entry(month).or_default() += n;
            }
        }
        out
    }
}
