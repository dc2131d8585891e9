//! `index-schema/papers.toml` -> tantivy `Schema`, analyzers and ranking defaults.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, SchemaBuilder,
    TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::tokenizer::Language;
use tantivy::Index;

use crate::analysis::{build_analyzer, parse_language};
use crate::error::{Error, Result};

/// The schema file compiled into the binary, used when no `--schema` is given.
pub const DEFAULT_SCHEMA_TOML: &str = include_str!("../index-schema/papers.toml");

/// Parsed `papers.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaConfig {
    pub version: u32,
    pub tokenizers: BTreeMap<String, TokenizerConfig>,
    pub fields: BTreeMap<String, FieldConfig>,
    pub ranking: RankingConfig,
    pub limits: LimitsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizerConfig {
    #[serde(with = "stemmer_name")]
    pub stemmer: Option<Language>,
    pub ascii_folding: bool,
    pub max_token_length: usize,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            stemmer: Some(Language::English),
            ascii_folding: true,
            max_token_length: 64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Exact, untokenized (the paper id).
    Id,
    Text,
    Facet,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldConfig {
    pub kind: FieldKind,
    #[serde(default)]
    pub tokenizer: Option<String>,
    #[serde(default)]
    pub default: bool,
    #[serde(default = "one")]
    pub boost: f32,
    /// Abstract only: also index the title's words in this field, so its BM25 sees the paper
    /// as one text (one length, one term frequency: "flat" BM25).
    #[serde(default)]
    pub include_title: bool,
}

fn one() -> f32 {
    1.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingConfig {
    pub recency_weight: f32,
    pub half_life_days: f32,
    pub as_of: String,
    /// `match = auto`: below this many papers with every word, papers with most of the
    /// words follow them (and the total counts those).
    #[serde(default = "ten")]
    pub min_all_words: usize,
}

fn ten() -> usize {
    10
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub default_limit: usize,
    pub max_limit: usize,
    pub max_offset: usize,
    pub max_query_bytes: usize,
}

mod stemmer_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use tantivy::tokenizer::Language;

    pub fn serialize<S: Serializer>(lang: &Option<Language>, s: S) -> Result<S::Ok, S::Error> {
        match lang {
            Some(l) => s.serialize_str(&format!("{l:?}").to_lowercase()),
            None => s.serialize_str("none"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Language>, D::Error> {
        let name = String::deserialize(d)?;
        if name == "none" {
            return Ok(None);
        }
        super::parse_language(&name)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown stemmer language `{name}`")))
    }
}

/// The fields the engine reads and writes by role. Names match the schema file.
const REQUIRED: [(&str, FieldKind); 6] = [
    ("id", FieldKind::Id),
    ("title", FieldKind::Text),
    ("abstract", FieldKind::Text),
    ("author", FieldKind::Text),
    ("topic", FieldKind::Facet),
    ("date", FieldKind::Facet),
];

impl SchemaConfig {
    /// Parses and validates a schema file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<SchemaConfig> {
        let err = |message: String| Error::Schema {
            path: origin.to_string(),
            message,
        };
        let config: SchemaConfig = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (name, kind) in REQUIRED {
            match config.fields.get(name) {
                Some(f) if f.kind == kind => {}
                Some(f) => {
                    return Err(err(format!(
                        "field `{name}` must be {kind:?}, not {:?}",
                        f.kind
                    )))
                }
                None => return Err(err(format!("missing required field `{name}`"))),
            }
        }
        for (name, field) in &config.fields {
            if let Some(unknown) = REQUIRED.iter().all(|(n, _)| n != name).then_some(name) {
                return Err(err(format!("unknown field `{unknown}`")));
            }
            if field.kind != FieldKind::Facet && !(field.boost.is_finite() && field.boost > 0.0) {
                return Err(err(format!("field `{name}`: boost must be > 0")));
            }
            if field.include_title && name != "abstract" {
                return Err(err(format!(
                    "field `{name}`: include_title applies to `abstract` only"
                )));
            }
            if field.kind == FieldKind::Text {
                let tok = field.tokenizer.as_deref().unwrap_or_default();
                if !config.tokenizers.contains_key(tok) {
                    return Err(err(format!(
                        "field `{name}` uses undefined tokenizer `{tok}`"
                    )));
                }
            }
        }
        if !config.fields.values().any(|f| f.default) {
            return Err(err("no field has `default = true`".into()));
        }
        let r = &config.ranking;
        if !(r.recency_weight >= 0.0 && r.recency_weight.is_finite()) {
            return Err(err("ranking.recency_weight must be >= 0".into()));
        }
        if !(r.half_life_days > 0.0 && r.half_life_days.is_finite()) {
            return Err(err("ranking.half_life_days must be > 0".into()));
        }
        Ok(config)
    }

    /// The compiled-in default schema.
    pub fn builtin() -> SchemaConfig {
        SchemaConfig::parse(DEFAULT_SCHEMA_TOML, "index-schema/papers.toml (built in)")
            .expect("the built-in schema is valid")
    }

    /// Loads a schema file from disk.
    pub fn load(path: &Path) -> Result<SchemaConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        SchemaConfig::parse(&text, &path.display().to_string())
    }

    /// Identifies what was written into an index: version plus a hash of the parts that
    /// change the tokens (tokenizers, field kinds/tokenizers and `include_title`, not boosts or
    /// ranking).
    pub fn fingerprint(&self) -> String {
        let index_parts: Vec<(&String, FieldKind, &Option<String>, bool)> = self
            .fields
            .iter()
            .map(|(n, f)| (n, f.kind, &f.tokenizer, f.include_title))
            .collect();
        let bytes = serde_json::to_vec(&(&self.tokenizers, index_parts)).expect("serializable");
        format!("v{}-{}", self.version, &blake3::hash(&bytes).to_hex()[..12])
    }

    /// The analyzer configuration of the text field `name` (validated to exist on load).
    pub fn tokenizer_of(&self, name: &str) -> &TokenizerConfig {
        &self.tokenizers[self.fields[name].tokenizer.as_deref().unwrap_or_default()]
    }

    /// Builds the tantivy schema and the handles to every field.
    pub fn build(&self) -> PaperFields {
        let mut builder = Schema::builder();
        let text = |b: &mut SchemaBuilder, name: &str| {
            let f = &self.fields[name];
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(f.tokenizer.as_deref().unwrap_or_default())
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            b.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
        };
        let title = text(&mut builder, "title");
        let abstract_text = text(&mut builder, "abstract");
        let author = text(&mut builder, "author");
        let topic = builder.add_facet_field("topic", FacetOptions::default());
        let date = builder.add_facet_field("date", FacetOptions::default());
        let id = builder.add_text_field("id", STRING | STORED);
        let title_hash =
            builder.add_u64_field("title_hash", NumericOptions::default().set_indexed());
        let date_days = builder.add_i64_field(
            "date_days",
            NumericOptions::default().set_indexed().set_fast(),
        );
        // Stored as text: tantivy's doc store reads a bytes value one byte at a time.
        let paper = builder.add_text_field("paper", STORED);
        PaperFields {
            schema: builder.build(),
            title,
            abstract_text,
            abstract_includes_title: self.fields["abstract"].include_title,
            author,
            topic,
            date,
            id,
            title_hash,
            date_days,
            paper,
        }
    }

    /// Registers every `[tokenizers.NAME]` analyzer on the index.
    pub fn register_tokenizers(&self, index: &Index) {
        for (name, config) in &self.tokenizers {
            index.tokenizers().register(name, build_analyzer(config));
        }
    }

    /// Text fields searched by unqualified query terms, with their boosts.
    pub fn default_fields(&self, fields: &PaperFields) -> Vec<(Field, f32)> {
        self.fields
            .iter()
            .filter(|(_, f)| f.default && f.kind != FieldKind::Facet)
            .filter_map(|(name, f)| fields.schema.get_field(name).ok().map(|h| (h, f.boost)))
            .collect()
    }
}

/// Handles to the tantivy fields.
#[derive(Debug, Clone)]
pub struct PaperFields {
    pub schema: Schema,
    pub title: Field,
    pub abstract_text: Field,
    /// The abstract field also holds the title's tokens (`include_title`).
    pub abstract_includes_title: bool,
    pub author: Field,
    pub topic: Field,
    pub date: Field,
    pub id: Field,
    pub title_hash: Field,
    pub date_days: Field,
    pub paper: Field,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schema_parses_and_builds() {
        let config = SchemaConfig::builtin();
        let fields = config.build();
        assert!(fields.schema.get_field("title").is_ok());
        let defaults = config.default_fields(&fields);
        assert_eq!(
            defaults.len(),
            3,
            "id, title and abstract are searched by default"
        );
        assert!(defaults.contains(&(fields.title, 0.2)));
        assert!(fields.abstract_includes_title);
        assert!(defaults.contains(&(fields.id, 5.0)));
    }

    #[test]
    fn fingerprint_ignores_ranking_but_not_tokenizers() {
        let base = SchemaConfig::builtin();
        let mut ranking = base.clone();
        ranking.ranking.recency_weight = 0.9;
        ranking.fields.get_mut("title").unwrap().boost = 5.0;
        assert_eq!(base.fingerprint(), ranking.fingerprint());
        let mut tokens = base.clone();
        tokens.tokenizers.get_mut("paper").unwrap().stemmer = None;
        assert_ne!(base.fingerprint(), tokens.fingerprint());
    }

    #[test]
    fn invalid_schemas_are_rejected_with_the_reason() {
        let cases = [
            (
                format!("{DEFAULT_SCHEMA_TOML}\n[fields.writer]\nkind = \"text\"\ntokenizer = \"paper\"\n"),
                "unknown field `writer`",
            ),
            (DEFAULT_SCHEMA_TOML.replace("[fields.author]", "[fields.writer]"), "missing required field `author`"),
            (DEFAULT_SCHEMA_TOML.replace("stemmer = \"english\"", "stemmer = \"klingon\""), "klingon"),
            (DEFAULT_SCHEMA_TOML.replace("tokenizer = \"names\"", "tokenizer = \"nope\""), "undefined tokenizer"),
            (DEFAULT_SCHEMA_TOML.replace("half_life_days = 180.0", "half_life_days = 0.0"), "half_life_days"),
            ("version = ".to_string(), "papers.toml"),
        ];
        for (text, needle) in cases {
            let err = SchemaConfig::parse(&text, "papers.toml")
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
    }
}
