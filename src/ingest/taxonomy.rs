//! arXiv's category taxonomy (embedded from arXiv/arxiv-base): names, aliases, `/arxiv/...` facet paths.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `categories.tsv` from arXiv/arxiv-base (MIT): category, name, archive, group, is_active,
/// alt_name. Embedded so the binary needs no data files at run time.
const TSV: &str = include_str!("arxiv-categories.tsv");

/// Aliases between two *active* categories. The TSV names each side as the other's alt_name
/// without saying which is canonical, so the direction (alias -> canonical) is taken from
/// arxiv-base's `CATEGORY_ALIASES`. Inactive codes with an alt_name (`cmp-lg` -> `cs.CL`)
/// are subsumed archives and need no table: their alt_name is canonical.
const ACTIVE_ALIASES: [(&str, &str); 6] = [
    ("math.MP", "math-ph"),
    ("stat.TH", "math.ST"),
    ("math.IT", "cs.IT"),
    ("q-fin.EC", "econ.GN"),
    ("cs.SY", "eess.SY"),
    ("cs.NA", "math.NA"),
];

struct Category {
    name: &'static str,
    canonical: &'static str,
}

fn table() -> &'static HashMap<&'static str, Category> {
    static TABLE: OnceLock<HashMap<&'static str, Category>> = OnceLock::new();
    TABLE.get_or_init(|| {
        TSV.lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                let (code, name, group) = (*cols.first()?, *cols.get(1)?, *cols.get(3)?);
                // arXiv's internal test categories (`test`, `bad-arch.bad-cat`) are not real
                // subjects; a generic tag "test" must not become `/arxiv/test`.
                if group == "Test" || group == "Invalid Group" {
                    return None;
                }
                let active = cols.get(4) == Some(&"True");
                let alt = cols.get(5).copied().unwrap_or("");
                let canonical = match ACTIVE_ALIASES.iter().find(|(alias, _)| *alias == code) {
                    Some((_, canon)) => canon,
                    None if !active && !alt.is_empty() => alt,
                    None => code,
                };
                Some((code, Category { name, canonical }))
            })
            .collect()
    })
}

/// Full name of a category code: `cs.CL` -> `Computation and Language`.
pub fn category_name(code: &str) -> Option<&'static str> {
    table().get(code.trim()).map(|c| c.name)
}

/// Whether `code` is an arXiv category (current, retired or alias); MSC (`68T50`) and ACM
/// (`I.2.7`) class codes are not.
pub fn is_category(code: &str) -> bool {
    table().contains_key(code.trim())
}

/// Facet path of a category, aliases resolved to their canonical code: `cs.CL` and `cmp-lg`
/// -> `/arxiv/cs/CL`, `hep-ph` -> `/arxiv/hep-ph`. None for anything not in the taxonomy.
pub fn topic_path(code: &str) -> Option<String> {
    let canonical = table().get(code.trim())?.canonical;
    Some(match canonical.split_once('.') {
        Some((archive, subject)) => format!("/arxiv/{archive}/{subject}"),
        None => format!("/arxiv/{canonical}"),
    })
}

/// Name of an archive, the parent of its categories in the topic tree: `cs` -> `Computer
/// Science`, `cond-mat` -> `Condensed Matter`. An archive that is also a category row
/// (`cond-mat`, `hep-ph`, `q-bio`) has that row's name; the others have no row of their own,
/// so they take their group's name, except `nlin`, whose group is Physics.
pub fn archive_name(archive: &str) -> Option<&'static str> {
    if archive == "nlin" {
        return Some("Nonlinear Sciences");
    }
    if let Some(name) = category_name(archive) {
        return Some(name);
    }
    TSV.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split('\t').collect();
        let (code, group) = (*cols.first()?, *cols.get(3)?);
        let active = cols.get(4) == Some(&"True");
        (active && code.split_once('.')?.0 == archive).then_some(group)
    })
}

/// Display label of a facet path made by `topic_path`: `/arxiv/cs/CL` ->
/// `cs.CL Computation and Language`, and of an archive: `/arxiv/cs` -> `cs Computer Science`.
/// None for other paths (`/arxiv`, `/newsletter/...`).
pub fn topic_label(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/arxiv/")?;
    let (code, name) = match rest.split_once('/') {
        Some((archive, subject)) => {
            let code = format!("{archive}.{subject}");
            let name = category_name(&code)?;
            (code, name)
        }
        None => (rest.to_string(), archive_name(rest)?),
    };
    Some(format!("{code} {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_category() {
        // PROVENANCE.md: 185 rows, of which 9 are arXiv's test/invalid placeholders.
        assert_eq!(table().len(), 185 - 9);
        assert_eq!(category_name("cs.CL"), Some("Computation and Language"));
        assert_eq!(
            category_name("hep-ph"),
            Some("High Energy Physics - Phenomenology")
        );
        assert_eq!(category_name("stat.ML"), Some("Machine Learning"));
    }

    #[test]
    fn class_codes_are_not_categories() {
        for code in [
            "test",
            "test.soft",
            "bad-arch.bad-cat",
            "68T50",
            "68T45, 62H30",
            "I.2.7",
            "I.5.3; I.2.10",
            "cs",
            "cs.cl",
            "",
        ] {
            assert!(!is_category(code), "{code}");
            assert_eq!(topic_path(code), None, "{code}");
        }
        assert!(is_category("cmp-lg"));
    }

    #[test]
    fn paths_split_archive_and_subject() {
        assert_eq!(topic_path("cs.CL").as_deref(), Some("/arxiv/cs/CL"));
        assert_eq!(topic_path("math.AG").as_deref(), Some("/arxiv/math/AG"));
        assert_eq!(topic_path("hep-ph").as_deref(), Some("/arxiv/hep-ph"));
        assert_eq!(
            topic_path("cond-mat.mtrl-sci").as_deref(),
            Some("/arxiv/cond-mat/mtrl-sci")
        );
    }

    #[test]
    fn aliases_resolve_to_canonical() {
        // Retired archives subsumed into a current category.
        assert_eq!(topic_path("cmp-lg").as_deref(), Some("/arxiv/cs/CL"));
        assert_eq!(topic_path("alg-geom").as_deref(), Some("/arxiv/math/AG"));
        assert_eq!(
            topic_path("mtrl-th").as_deref(),
            Some("/arxiv/cond-mat/mtrl-sci")
        );
        // Active pairs, in arxiv-base's direction.
        assert_eq!(topic_path("math.MP"), topic_path("math-ph"));
        assert_eq!(topic_path("math.MP").as_deref(), Some("/arxiv/math-ph"));
        assert_eq!(topic_path("math.IT").as_deref(), Some("/arxiv/cs/IT"));
        assert_eq!(topic_path("cs.SY").as_deref(), Some("/arxiv/eess/SY"));
    }

    #[test]
    fn every_path_is_canonical_and_labelled() {
        // Resolving must be idempotent and land on a current category (or a retired general
        // archive such as astro-ph, which has no successor), so two spellings of one
        // category never become two facets.
        for code in table().keys() {
            let path = topic_path(code).unwrap();
            let label = topic_label(&path).unwrap_or_else(|| panic!("{code} -> {path}"));
            let canon = label.split(' ').next().unwrap();
            assert_eq!(topic_path(canon).as_ref(), Some(&path), "{code}");
            let row = TSV.lines().find(|l| l.starts_with(&format!("{canon}\t")));
            let cols: Vec<&str> = row.unwrap().split('\t').collect();
            assert!(cols[4] == "True" || cols[5].is_empty(), "{code} -> {canon}");
        }
    }

    #[test]
    fn labels() {
        assert_eq!(
            topic_label("/arxiv/cs/CL").as_deref(),
            Some("cs.CL Computation and Language")
        );
        assert_eq!(
            topic_label("/arxiv/hep-ph").as_deref(),
            Some("hep-ph High Energy Physics - Phenomenology")
        );
        assert_eq!(topic_label("/arxiv"), None);
        assert_eq!(topic_label("/arxiv/cs/XX"), None);
        assert_eq!(topic_label("/newsletter/llm-reasoning"), None);
    }

    #[test]
    fn every_archive_is_named() {
        for (archive, name) in [
            ("cs", "Computer Science"),
            ("math", "Mathematics"),
            ("stat", "Statistics"),
            ("physics", "Physics"),
            ("nlin", "Nonlinear Sciences"),
            ("q-bio", "Quantitative Biology"),
            ("q-fin", "Quantitative Finance"),
            ("eess", "Electrical Engineering and Systems Science"),
            ("econ", "Economics"),
            ("cond-mat", "Condensed Matter"),
            ("astro-ph", "Astrophysics"),
        ] {
            let label = topic_label(&format!("/arxiv/{archive}"));
            assert_eq!(label, Some(format!("{archive} {name}")));
        }
        // Every parent a category path can have is named.
        for code in table().keys() {
            let path = topic_path(code).unwrap();
            if let Some((parent, _)) = path.rsplit_once('/').filter(|(p, _)| *p != "/arxiv") {
                assert!(topic_label(parent).is_some(), "{code}: {parent}");
            }
        }
    }
}
