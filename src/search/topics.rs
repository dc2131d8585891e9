//! Topics as people name them (`cs.CL`, `hep-th`, `arxiv/cs/cl`, `/arxiv/cs/CL`) resolved to
//! the facet paths the index holds, for every door; a topic no paper has is an error naming
//! the nearest, as ripgrep refuses an unknown `--type`: an empty list would read as "no papers
//! about it" when the name was mistyped.

use tantivy::schema::Facet;

use crate::error::{Error, Result};
use crate::index::PaperIndex;
use crate::ingest::taxonomy::{topic_label, topic_path};

impl PaperIndex {
    /// Every topic path some paper has, its ancestors included (the facet field's terms).
    pub(crate) fn topic_paths(&self) -> Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let mut paths = Vec::new();
        for reader in searcher.segment_readers() {
            let dict = reader.inverted_index(self.fields.topic)?;
            let mut stream = dict.terms().stream().map_err(|e| Error::Index(e.into()))?;
            while stream.advance() {
                match Facet::from_encoded(stream.key().to_vec()) {
                    Ok(facet) if !facet.is_root() => paths.push(facet.to_path_string()),
                    _ => {}
                }
            }
        }
        paths.sort_unstable();
        paths.dedup();
        Ok(paths)
    }

    /// The topics named, as the index spells them (see the module).
    pub(crate) fn resolve_topics(&self, topics: &[String]) -> Result<Vec<String>> {
        if topics.is_empty() {
            return Ok(Vec::new());
        }
        let all = self.topic_paths()?;
        topics.iter().map(|t| resolve(t, &all)).collect()
    }
}

fn resolve(topic: &str, existing: &[String]) -> Result<String> {
    let t = topic.trim().trim_end_matches('/');
    let mut candidates = Vec::new();
    if t.starts_with('/') {
        candidates.push(t.to_string());
    } else {
        candidates.extend(topic_path(t));
        candidates.push(format!("/arxiv/{}", t.replace('.', "/")));
        candidates.push(format!("/{t}"));
    }
    for candidate in &candidates {
        if let Some(path) = existing.iter().find(|p| p.eq_ignore_ascii_case(candidate)) {
            return Ok(path.clone());
        }
    }
    let wanted = candidates[0].to_ascii_lowercase();
    let mut near: Vec<(usize, &String)> = existing
        .iter()
        .map(|p| (edit_distance(&wanted, &p.to_ascii_lowercase()), p))
        .collect();
    near.sort();
    let near: Vec<String> = near
        .iter()
        .take(3)
        .map(|(_, p)| match topic_label(p) {
            Some(label) => format!("{p} ({label})"),
            None => p.to_string(),
        })
        .collect();
    let hint = if near.is_empty() {
        "the index has no topics".to_string()
    } else {
        format!("nearest: {}", near.join(", "))
    };
    Err(Error::InvalidRequest(format!(
        "no paper has topic `{topic}`; {hint} (`paperdex facets` lists them all)"
    )))
}

/// Levenshtein distance over bytes (topic paths are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Vec<String> {
        [
            "/arxiv",
            "/arxiv/cs",
            "/arxiv/cs/CL",
            "/arxiv/hep-th",
            "/newsletter",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn codes_paths_and_any_case_name_the_same_topic() {
        for named in [
            "cs.CL",
            "CS.cl",
            "arxiv/cs/cl",
            "/arxiv/cs/CL",
            "/arxiv/cs/CL/",
        ] {
            assert_eq!(resolve(named, &paths()).unwrap(), "/arxiv/cs/CL", "{named}");
        }
        assert_eq!(resolve("hep-th", &paths()).unwrap(), "/arxiv/hep-th");
        assert_eq!(resolve("Newsletter", &paths()).unwrap(), "/newsletter");
    }

    #[test]
    fn a_topic_no_paper_has_is_refused_naming_the_nearest() {
        let err = resolve("cs.CX", &paths()).unwrap_err().to_string();
        assert!(err.contains("no paper has topic `cs.CX`"), "{err}");
        assert!(err.contains("/arxiv/cs/CL"), "{err}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
