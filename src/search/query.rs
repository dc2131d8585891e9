//! Query text -> tantivy queries. `understand` decides what the text is (an id, syntax used on
//! purpose, or words: `understand.rs`); tantivy's grammar parses the syntax, and paperdex walks
//! the tree to add what its parser lacks: `atten*` on a single term (prefix), `spars~1` on a
//! single term (fuzzy), and `arXiv:ID` as a lookup of the id field. Words are ORed for scoring
//! and also grouped per distinct term, for "every word" and "at least k words".

use std::collections::HashSet;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, Query, QueryParser,
    QueryParserError, TermQuery, TermSetQuery,
};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, FieldType, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::understand::{self, Interpreted, SyntaxMode, QUERY_FIELDS};
use crate::analysis::terms;
use crate::error::{Error, Result};
use crate::index::PaperIndex;

/// Most words a word being typed completes to, and most dictionary entries read per segment
/// to find them (a two-letter prefix can begin tens of thousands).
const MAX_COMPLETIONS: usize = 30;
const MAX_SCANNED_COMPLETIONS: usize = 20_000;

/// Most edits a fuzzy term may have (Levenshtein automata are built up to distance 2).
const MAX_FUZZY_DISTANCE: u32 = 2;
/// Most terms that expand (`word~N`, `word*`, `"a b"*`, `"a b"~N`) in one query: each walks
/// the term dictionary and reads the postings of what it finds (819 two-letter `~2` terms
/// held a server for 75 s).
const MAX_EXPANDING_TERMS: usize = 8;
/// Most words `word*` stands for, the most frequent first: as Elasticsearch's
/// `max_expansions`, a short prefix (`a*`) otherwise reads the postings of thousands.
const MAX_PREFIX_TERMS: usize = 64;

/// One query per word.
type Clauses = Vec<Box<dyn Query>>;

/// A term of a default field, with the field's boost.
type FieldTerm = (Field, f32, Term);

/// What the text means, as queries.
pub(crate) struct Understood {
    pub interpreted: Interpreted,
    /// Scores every hit: the words ORed, or the syntax with its implicit OR.
    pub any: Box<dyn Query>,
    /// The stricter reading: every word, or the syntax with an implicit AND between its
    /// clauses. None where it selects what `any` selects (one word, explicit operators only).
    pub all: Option<Box<dyn Query>>,
    /// Words: one clause per distinct term (over the default fields), for "at least k".
    pub groups: Vec<Box<dyn Query>>,
    /// Words: the analyzed word of each of `groups` (empty for completions alone).
    pub tokens: Vec<String>,
    /// Words: the terms whose postings make up each of `groups` (a paper with any of them
    /// has the word).
    pub group_terms: Vec<Vec<Term>>,
    /// Whether `any` is an OR of bare words (see `is_or_of_words`).
    pub or_of_words: bool,
    /// What a person should know about the reading (a cut, why syntax was read as words).
    pub notes: Vec<String>,
}

pub(crate) struct QueryBuilder<'a> {
    idx: &'a PaperIndex,
    parser: QueryParser,
    defaults: Vec<(Field, f32)>,
    query: &'a str,
    /// Notes found while building (a prefix cut to its most common words).
    notes: std::cell::RefCell<Vec<String>>,
}

impl<'a> QueryBuilder<'a> {
    pub fn new(idx: &'a PaperIndex, query: &'a str) -> QueryBuilder<'a> {
        let defaults = idx.config.default_fields(&idx.fields);
        let mut parser =
            QueryParser::for_index(&idx.index, defaults.iter().map(|(f, _)| *f).collect());
        for &(field, boost) in &defaults {
            parser.set_field_boost(field, boost);
        }
        QueryBuilder {
            idx,
            parser,
            defaults,
            query,
            notes: Default::default(),
        }
    }

    fn syntax(&self, message: impl Into<String>) -> Error {
        Error::QuerySyntax {
            query: self.query.to_string(),
            message: message.into(),
        }
    }

    /// Reads the text: `plain` takes it as words whatever it holds; otherwise an id is an id,
    /// syntax is syntax when it parses and names real fields, and anything else is words
    /// (with `SyntaxMode::Strict`, a syntax error instead). Text over the size limit is cut at
    /// the last whitespace before it, with a note.
    pub fn understand(&self, plain: bool, mode: SyntaxMode) -> Result<Understood> {
        let max = self.idx.config.limits.max_query_bytes;
        let text = truncate(self.query, max);
        let mut notes = Vec::new();
        if text.len() < self.query.len() {
            notes.push(format!(
                "the text is {} bytes; searched on its first {} (the limit is {max})",
                self.query.len(),
                text.len()
            ));
        }
        let sub = QueryBuilder::new(self.idx, text);
        if text.trim().is_empty() {
            let any: Box<dyn Query> = if plain {
                Box::new(EmptyQuery)
            } else {
                Box::new(AllQuery)
            };
            return Ok(Understood {
                interpreted: Interpreted::Empty,
                any,
                all: None,
                groups: Vec::new(),
                tokens: Vec::new(),
                group_terms: Vec::new(),
                or_of_words: false,
                notes,
            });
        }
        if !plain {
            if let Some(id) = understand::paper_id(text) {
                let id_builder = QueryBuilder::new(self.idx, &id);
                return Ok(Understood {
                    interpreted: Interpreted::Id,
                    any: id_builder.build_plain()?,
                    all: None,
                    groups: Vec::new(),
                    tokens: Vec::new(),
                    group_terms: Vec::new(),
                    or_of_words: true,
                    notes,
                });
            }
        }
        if plain || !understand::has_syntax(text) {
            return sub.words(notes, !plain);
        }
        match sub.build_syntax(false) {
            Ok((any, or_of_words)) => {
                let all = sub.build_syntax(true).ok().map(|(q, _)| q);
                let all = all.filter(|all| format!("{all:?}") != format!("{any:?}"));
                notes.extend(sub.notes.take());
                Ok(Understood {
                    interpreted: Interpreted::Syntax,
                    any,
                    all,
                    groups: Vec::new(),
                    tokens: Vec::new(),
                    group_terms: Vec::new(),
                    or_of_words,
                    notes,
                })
            }
            Err(Error::QuerySyntax { message, .. }) if mode == SyntaxMode::Auto => {
                // The field list belongs in an error; a note stays short.
                let message = message.split(" (fields:").next().unwrap_or(&message);
                notes.push(format!("searched as words: {message}"));
                sub.words(notes, true)
            }
            Err(Error::QuerySyntax { message, .. }) => Err(self.syntax(message)),
            Err(e) => Err(e),
        }
    }

    /// The text as words: ORed for scoring, grouped per distinct term for "every word". With
    /// `complete_last`, a last word still being typed (no space after it, 3 characters or
    /// more) also matches the words it begins (`sparse atten` finds attention).
    fn words(&self, notes: Vec<String>, complete_last: bool) -> Result<Understood> {
        let (mut groups, mut tokens, mut group_terms) = self.term_groups()?;
        let mut any = self.build_plain()?;
        let completions = if complete_last {
            self.completions()?
        } else {
            Vec::new()
        };
        if !completions.is_empty() {
            let last = self.last_word_groups()?;
            let extra: Vec<(Occur, Box<dyn Query>)> = completions
                .iter()
                .map(|t| (Occur::Should, boosted_term(t.clone(), 1.0)))
                .collect();
            // The last word's own clause(s) take its completions as alternatives; a word that
            // is only a beginning (no postings of its own) has them alone.
            let mut merged = Vec::new();
            for (i, group) in groups.into_iter().enumerate() {
                if last.contains(&i) {
                    let mut clauses = vec![(Occur::Should, group)];
                    clauses.extend(extra.iter().map(|(o, q)| (*o, q.box_clone())));
                    merged.push(Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>);
                } else {
                    merged.push(group);
                }
            }
            if last.is_empty() {
                let alone = extra.iter().map(|(o, q)| (*o, q.box_clone())).collect();
                merged.push(Box::new(BooleanQuery::new(alone)));
                tokens.push(String::new());
                group_terms.push(completions.clone());
            }
            for &i in &last {
                group_terms[i].extend(completions.iter().cloned());
            }
            groups = merged;
            let mut clauses = vec![(Occur::Should, any)];
            clauses.extend(extra);
            any = Box::new(BooleanQuery::new(clauses));
        }
        let all = (groups.len() > 1).then(|| {
            Box::new(BooleanQuery::new(
                groups
                    .iter()
                    .map(|g| (Occur::Must, g.box_clone()))
                    .collect(),
            )) as Box<dyn Query>
        });
        Ok(Understood {
            interpreted: Interpreted::Words,
            any,
            all,
            groups,
            tokens,
            group_terms,
            or_of_words: true,
            notes,
        })
    }

    /// The word being typed: the last one when no whitespace follows it, of ASCII letters
    /// and digits (punctuation around it aside), lowercased, 3 bytes or more.
    fn typed_prefix(&self) -> Option<String> {
        if self.query.ends_with(char::is_whitespace) {
            return None;
        }
        let last = self.query.split_whitespace().last()?;
        let word = last.trim_matches(|c: char| !c.is_alphanumeric());
        (word.len() >= 3 && word.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| word.to_ascii_lowercase())
    }

    /// The abstract field's terms that begin with the word being typed, most frequent first
    /// (at most `MAX_COMPLETIONS`), without the word's own terms.
    fn completions(&self) -> Result<Vec<Term>> {
        let Some(prefix) = self.typed_prefix() else {
            return Ok(Vec::new());
        };
        let field = self.idx.fields.abstract_text;
        let searcher = self.idx.reader.searcher();
        let found = begun_by(&searcher, field, &prefix)?;
        let own: Vec<Vec<u8>> = {
            let mut analyzer = self.analyzer(field)?.expect("abstract is a text field");
            let last = self.query.split_whitespace().last().unwrap_or("");
            terms(&mut analyzer, last)
                .into_iter()
                .map(String::into_bytes)
                .collect()
        };
        let mut own_freq = 0;
        for k in &own {
            let text = String::from_utf8_lossy(k);
            own_freq = own_freq.max(searcher.doc_freq(&Term::from_field_text(field, &text))?);
        }
        let mut ranked: Vec<(Vec<u8>, u64)> = found
            .into_iter()
            .filter(|(k, _)| !own.contains(k))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // A word that is more common than anything it begins is a whole word (`attention`),
        // not a beginning; and rare completions (a one-off compound) would win on idf alone.
        let top = ranked.first().map_or(0, |(_, f)| *f);
        if top <= own_freq {
            return Ok(Vec::new());
        }
        ranked.retain(|(_, f)| *f * 100 >= top);
        ranked.truncate(MAX_COMPLETIONS);
        Ok(ranked
            .into_iter()
            .filter_map(|(k, _)| String::from_utf8(k).ok())
            .map(|k| Term::from_field_text(field, &k))
            .collect())
    }

    /// The indices, in `term_groups`' order, of the clauses the last word made.
    fn last_word_groups(&self) -> Result<Vec<usize>> {
        let words: Vec<&str> = {
            let mut seen = HashSet::new();
            self.query
                .split_whitespace()
                .filter(|w| seen.insert(*w))
                .collect()
        };
        let Some(last) = self.query.split_whitespace().last() else {
            return Ok(Vec::new());
        };
        let mut analyzer = self
            .analyzer(self.idx.fields.abstract_text)?
            .expect("abstract is a text field");
        // Group order is first occurrence of each distinct token over the words.
        let mut order: Vec<String> = Vec::new();
        for w in &words {
            for t in terms(&mut analyzer, w) {
                if !order.contains(&t) {
                    order.push(t);
                }
            }
        }
        Ok(terms(&mut analyzer, last)
            .iter()
            .filter_map(|t| order.iter().position(|o| o == t))
            .collect())
    }

    /// The query of the syntax, with clauses that have no operator ORed (tantivy's default)
    /// or ANDed (`conjunctive`), and whether it is an OR of bare words.
    fn build_syntax(&self, conjunctive: bool) -> Result<(Box<dyn Query>, bool)> {
        if self.is_bare_words() && !conjunctive {
            // What a search box mostly gets; the grammar (parsed twice: here for its shape and
            // again inside tantivy's parser) cost more than the rest of building the query.
            return Ok((self.build_plain()?, true));
        }
        let ast = query_grammar::parse_query(self.query)
            .map_err(|_| self.syntax(grammar_trouble(self.query)))?;
        if expanding_terms(&ast) > MAX_EXPANDING_TERMS {
            return Err(self.syntax(format!(
                "at most {MAX_EXPANDING_TERMS} terms with `*` or `~N` in a query"
            )));
        }
        if let Some(name) = unknown_field(&ast) {
            return Err(self.syntax(format!(
                "`{name}` is not a field (fields: title, abstract, author, topic, id)"
            )));
        }
        let or_of_words = !conjunctive && is_or_of_words(&ast);
        if !needs_rewrite(&ast) {
            // The common case goes through tantivy's own parser unchanged, so plain queries
            // score exactly as tantivy scores them.
            let query = if conjunctive {
                let mut parser = self.parser.clone();
                parser.set_conjunction_by_default();
                parser.parse_query(self.query)
            } else {
                self.parser.parse_query(self.query)
            };
            let query = query.map_err(|e| self.syntax(human(e)))?;
            return Ok((query, or_of_words));
        }
        let default = if conjunctive {
            Occur::Must
        } else {
            Occur::Should
        };
        Ok((self.node(ast, default)?, or_of_words))
    }

    /// One query per distinct analyzed term of the text, matching the term in any default
    /// field (with its boost): the clauses of "every word". A word's id-field term (ids are
    /// matched whole: `hep-th/9901001`) joins each clause of that word's terms.
    fn term_groups(&self) -> Result<(Clauses, Vec<String>, Vec<Vec<Term>>)> {
        let mut fields = self.default_analyzers()?;
        let id_field = self.idx.fields.id;
        let mut groups: Vec<(String, Vec<FieldTerm>)> = Vec::new();
        let mut seen = HashSet::new();
        for word in self.query.split_whitespace().filter(|w| seen.insert(*w)) {
            let mut id_terms = Vec::new();
            let mut word_groups = Vec::new();
            for (token, field_term) in self.word_terms(&mut fields, word) {
                if field_term.0 == id_field {
                    id_terms.push(field_term);
                    continue;
                }
                let at = match groups.iter().position(|(t, _)| *t == token) {
                    Some(at) => at,
                    None => {
                        groups.push((token, Vec::new()));
                        groups.len() - 1
                    }
                };
                if !groups[at].1.iter().any(|(_, _, t)| *t == field_term.2) {
                    groups[at].1.push(field_term);
                }
                if !word_groups.contains(&at) {
                    word_groups.push(at);
                }
            }
            for at in word_groups {
                for id_term in &id_terms {
                    if !groups[at].1.iter().any(|(_, _, t)| *t == id_term.2) {
                        groups[at].1.push(id_term.clone());
                    }
                }
            }
        }
        let subset = self.idx.title_within_abstract();
        let searcher = self.idx.reader.searcher();
        let mut out = Vec::with_capacity(groups.len());
        let mut tokens = Vec::with_capacity(groups.len());
        let mut postings = Vec::with_capacity(groups.len());
        for (token, terms) in groups {
            tokens.push(token);
            // Every paper with the word in its title has it in its abstract field too: the
            // abstract term alone decides the match, the title term only adds to the score.
            // A required term skips through its postings; a union of the two (what the
            // clause is otherwise) is merged document by document on every seek of the
            // intersection (1.5x the latency of a two-word search).
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len());
            let mut narrowed = false;
            if let Some((title, abstract_field)) = subset {
                let mut live_others = false;
                for (field, _, term) in &terms {
                    if *field != title && *field != abstract_field {
                        live_others |= searcher.doc_freq(term)? > 0;
                    }
                }
                let has_abstract = terms.iter().any(|(f, _, _)| *f == abstract_field);
                if has_abstract && !live_others {
                    postings.push(
                        (terms.iter())
                            .filter(|(f, _, _)| *f == abstract_field)
                            .map(|(_, _, t)| t.clone())
                            .collect(),
                    );
                    for (field, boost, term) in &terms {
                        let occur = if *field == abstract_field {
                            Occur::Must
                        } else if *field == title {
                            Occur::Should
                        } else {
                            continue;
                        };
                        clauses.push((occur, boosted_term(term.clone(), *boost)));
                    }
                    narrowed = true;
                }
            }
            if !narrowed {
                postings.push(terms.iter().map(|(_, _, t)| t.clone()).collect());
                clauses = terms
                    .into_iter()
                    .map(|(_, boost, term)| (Occur::Should, boosted_term(term, boost)))
                    .collect();
            }
            out.push(Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>);
        }
        Ok((out, tokens, postings))
    }

    /// Whether the query is only ASCII letters and digits between spaces, with no operator
    /// word and no word long enough to be dropped by an analyzer: then `build_plain` gives
    /// exactly the query tantivy's parser gives (one token per word and field, none dropped).
    fn is_bare_words(&self) -> bool {
        let max_len = (self.idx.config.tokenizers.values())
            .map(|t| t.max_token_length)
            .min()
            .unwrap_or(0);
        self.query.split(' ').all(|word| {
            word.len() < max_len
                && word.bytes().all(|b| b.is_ascii_alphanumeric())
                && !matches!(word, "AND" | "OR" | "NOT" | "IN" | "TO")
        })
    }

    /// The text as plain terms, nothing in it read as syntax: each whitespace-separated word
    /// goes through every default field's analyzer and all the terms are ORed in one flat
    /// BooleanQuery. That is the shape tantivy's parser gives `word word ...` (one boosted
    /// TermQuery per word and field, same order, after its Should-flattening), so text
    /// without syntax characters scores exactly as in normal mode. A word that analyzes to
    /// several tokens (`0-dimensional`) gives separate terms here, not a phrase. No terms
    /// (empty or punctuation only) matches nothing. Never an error for the text: past the
    /// query size limit it is cut at the last whitespace before the limit, so prose of any
    /// length still searches (on its opening).
    pub fn build_plain(&self) -> Result<Box<dyn Query>> {
        let mut fields = self.default_analyzers()?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let text = truncate(self.query, self.idx.config.limits.max_query_bytes);
        // tantivy's grammar drops a repeated word (the same string), so `a a` scores as `a`.
        let mut seen = HashSet::new();
        for word in text.split_whitespace().filter(|w| seen.insert(*w)) {
            for (_, (_, boost, term)) in self.word_terms(&mut fields, word) {
                clauses.push((Occur::Should, boosted_term(term, boost)));
            }
        }
        Ok(match clauses.len() {
            0 => Box::new(EmptyQuery),
            1 => clauses.pop().expect("one clause").1,
            _ => Box::new(BooleanQuery::new(clauses)),
        })
    }

    /// The default fields with their boosts and analyzers.
    fn default_analyzers(&self) -> Result<Vec<(Field, f32, TextAnalyzer)>> {
        let mut fields = Vec::with_capacity(self.defaults.len());
        for &(field, boost) in &self.defaults {
            if let Some(analyzer) = self.analyzer(field)? {
                fields.push((field, boost, analyzer));
            }
        }
        Ok(fields)
    }

    /// The tokens of one word in each default field, field by field, as terms with the
    /// field's boost. Ids are matched whole, and in prose they come with punctuation around
    /// them: `(2502.00511).` should still find the paper.
    fn word_terms(
        &self,
        fields: &mut [(Field, f32, TextAnalyzer)],
        word: &str,
    ) -> Vec<(String, FieldTerm)> {
        let mut out = Vec::new();
        for (field, boost, analyzer) in fields {
            let input = if *field == self.idx.fields.id {
                word.trim_matches(|c: char| !c.is_alphanumeric())
            } else {
                word
            };
            if input.is_empty() {
                continue;
            }
            for token in terms(analyzer, input) {
                let term = Term::from_field_text(*field, &token);
                out.push((token, (*field, *boost, term)));
            }
        }
        out
    }

    /// The analyzer of an indexed text field (None for other field types).
    fn analyzer(&self, field: Field) -> Result<Option<TextAnalyzer>> {
        let entry = self.idx.fields.schema.get_field_entry(field);
        let FieldType::Str(options) = entry.field_type() else {
            return Ok(None);
        };
        let Some(indexing) = options.get_indexing_options() else {
            return Ok(None);
        };
        self.idx
            .index
            .tokenizers()
            .get(indexing.tokenizer())
            .map(Some)
            .ok_or_else(|| {
                Error::Index(tantivy::TantivyError::InternalError(format!(
                    "tokenizer {} not registered",
                    indexing.tokenizer()
                )))
            })
    }

    /// The `max` most frequent terms of `field` that begin with `prefix`, and how many
    /// begin with it (as far as the dictionary was read).
    fn prefix_terms(&self, field: Field, prefix: &str, max: usize) -> Result<(Vec<Term>, usize)> {
        let searcher = self.idx.reader.searcher();
        let mut ranked: Vec<(Vec<u8>, u64)> =
            begun_by(&searcher, field, prefix)?.into_iter().collect();
        let seen = ranked.len();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(max);
        let terms = ranked
            .into_iter()
            .filter_map(|(k, _)| String::from_utf8(k).ok())
            .map(|k| Term::from_field_text(field, &k))
            .collect();
        Ok((terms, seen))
    }

    fn node(&self, ast: UserInputAst, default: Occur) -> Result<Box<dyn Query>> {
        match ast {
            UserInputAst::Clause(clauses) => {
                if clauses.is_empty() {
                    return Ok(Box::new(EmptyQuery));
                }
                if clauses
                    .iter()
                    .all(|(occur, _)| *occur == Some(Occur::MustNot))
                {
                    return Err(
                        self.syntax("a query cannot only exclude terms; add a term to search for")
                    );
                }
                let subs = clauses
                    .into_iter()
                    .map(|(occur, sub)| Ok((occur.unwrap_or(default), self.node(sub, default)?)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Box::new(BooleanQuery::new(subs)))
            }
            UserInputAst::Boost(sub, boost) => Ok(Box::new(BoostQuery::new(
                self.node(*sub, default)?,
                boost.0 as f32,
            ))),
            UserInputAst::Leaf(leaf) => self.leaf(*leaf),
        }
    }

    fn leaf(&self, leaf: UserInputLeaf) -> Result<Box<dyn Query>> {
        let leaf = match leaf {
            UserInputLeaf::Literal(mut lit) => {
                if lit
                    .field_name
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case("arxiv"))
                {
                    lit.field_name = Some("id".into());
                }
                if lit.delimiter == Delimiter::None {
                    // tantivy's grammar keeps `*` and `~N` inside unquoted terms.
                    if let Some(stem) = lit.phrase.strip_suffix('*').filter(|s| !s.is_empty()) {
                        lit.phrase = stem.to_string();
                        lit.prefix = true;
                    } else if let Some((word, n)) = lit.phrase.rsplit_once('~') {
                        if let (false, Ok(n)) = (word.is_empty(), n.parse::<u32>()) {
                            lit.phrase = word.to_string();
                            lit.slop = n.max(1);
                        }
                    }
                    if lit.prefix || lit.slop > 0 {
                        if let Some(q) = self.term_variant(&lit)? {
                            return Ok(q);
                        }
                    }
                }
                UserInputLeaf::Literal(lit)
            }
            UserInputLeaf::Regex { .. } => {
                return Err(self.syntax("regular expressions are not supported"))
            }
            // A range of words reads every term between its ends; dates have --since/--until.
            UserInputLeaf::Range { field, .. } if field.as_deref() != Some("topic") => {
                return Err(self
                    .syntax("ranges of words are not supported (dates: since/until)".to_string()))
            }
            // tantivy answers `field:*` from fast columns, which only the facets have here.
            UserInputLeaf::Exists { field } if field == "topic" || field == "date" => {
                UserInputLeaf::Exists { field }
            }
            UserInputLeaf::Exists { field } => {
                return Err(self.syntax(format!(
                    "`{field}:*` (any value) works for topic and date only"
                )))
            }
            other => other,
        };
        self.parser
            .build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(leaf)))
            .map_err(|e| self.syntax(human(e)))
    }

    /// `term*` and `term~N` on one unquoted term, over the named or the default fields.
    fn term_variant(&self, lit: &UserInputLiteral) -> Result<Option<Box<dyn Query>>> {
        let fields: Vec<(Field, f32)> = match &lit.field_name {
            Some(name) => {
                let field = self
                    .idx
                    .fields
                    .schema
                    .get_field(name)
                    .map_err(|_| self.syntax(format!("unknown field `{name}`")))?;
                vec![(field, 1.0)]
            }
            None => self.defaults.clone(),
        };
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in fields {
            let Some(mut analyzer) = self.analyzer(field)? else {
                continue;
            };
            let tokens = terms(&mut analyzer, &lit.phrase);
            let [token] = tokens.as_slice() else {
                // Several tokens: leave it to tantivy (phrase prefix or phrase slop).
                return Ok(None);
            };
            let q: Box<dyn Query> = if lit.prefix {
                let (found, seen) = self.prefix_terms(field, token, MAX_PREFIX_TERMS)?;
                if seen > found.len() {
                    let mut notes = self.notes.borrow_mut();
                    let head = format!("`{token}*` ");
                    if !notes.iter().any(|n| n.starts_with(&head)) {
                        notes.push(format!(
                            "{head}begins {}{seen} words; searched with the {} most common",
                            if seen >= MAX_SCANNED_COMPLETIONS {
                                "over "
                            } else {
                                ""
                            },
                            found.len()
                        ));
                    }
                }
                Box::new(TermSetQuery::new(found))
            } else {
                // As Elasticsearch's AUTO fuzziness: no edit under 3 characters, one up to
                // 5; a two-letter `~2` would match every word of up to four letters.
                let most = match token.chars().count() {
                    0..=2 => 0,
                    3..=5 => 1,
                    _ => MAX_FUZZY_DISTANCE,
                };
                let distance = lit.slop.min(most) as u8;
                let term = Term::from_field_text(field, token);
                if distance == 0 {
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                } else {
                    Box::new(FuzzyTermQuery::new(term, distance, true))
                }
            };
            per_field.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
        Ok(Some(Box::new(BooleanQuery::new(per_field))))
    }
}

/// The terms of `field` that begin with `prefix` (the first `MAX_SCANNED_COMPLETIONS` of each
/// segment's dictionary), with their document frequencies.
fn begun_by(
    searcher: &tantivy::Searcher,
    field: Field,
    prefix: &str,
) -> Result<std::collections::HashMap<Vec<u8>, u64>> {
    let mut found: std::collections::HashMap<Vec<u8>, u64> = Default::default();
    for reader in searcher.segment_readers() {
        let dict = reader.inverted_index(field)?;
        let mut stream = dict
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()
            .map_err(|e| Error::Index(e.into()))?;
        let mut scanned = 0;
        while stream.advance() && scanned < MAX_SCANNED_COMPLETIONS {
            let key = stream.key();
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            *found.entry(key.to_vec()).or_default() += stream.value().doc_freq as u64;
            scanned += 1;
        }
    }
    Ok(found)
}

/// A `TermQuery` with its field's boost; tantivy's parser leaves a boost of 1 out, and so does
/// this, to keep its shape.
fn boosted_term(term: Term, boost: f32) -> Box<dyn Query> {
    let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

/// Why the grammar refused `text`, as a person would put it.
fn grammar_trouble(text: &str) -> String {
    let last = text.split_whitespace().last().unwrap_or("");
    if text.matches('"').count() % 2 == 1 {
        "a quote is not closed".into()
    } else if text.matches('(').count() != text.matches(')').count() {
        "a parenthesis is not closed".into()
    } else if matches!(last, "AND" | "OR" | "NOT" | "&&" | "||" | "+" | "-")
        || last.ends_with(['^', '~', ':'])
    {
        format!("`{last}` has nothing after it")
    } else {
        "check quotes, parentheses and operators (AND, OR, NOT, +, -)".into()
    }
}

/// tantivy's parser errors in a person's words.
fn human(e: QueryParserError) -> String {
    match e {
        QueryParserError::FieldDoesNotExist(name) | QueryParserError::FieldNotIndexed(name) => {
            format!("`{name}` is not a field (fields: title, abstract, author, topic, id)")
        }
        QueryParserError::AllButQueryForbidden => {
            "a query cannot only exclude terms; add a term to search for".into()
        }
        QueryParserError::FieldDoesNotHavePositionsIndexed(name) => {
            format!("`{name}` cannot hold a phrase")
        }
        QueryParserError::ExpectedInt(_)
        | QueryParserError::ExpectedFloat(_)
        | QueryParserError::ExpectedBool(_)
        | QueryParserError::ExpectedBase64(_)
        | QueryParserError::DateFormatError(_) => "a value does not fit its field".into(),
        QueryParserError::RangeMustNotHavePhrase => "a range cannot hold a phrase".into(),
        other => format!("the query cannot be read ({other})"),
    }
}

/// Whether the text may cost far more to search than a few words: terms that expand (`*`,
/// `~N`), phrases (positions are read), or more than `max_words` words. The server gives such
/// searches a lane of their own, so a flood of them cannot hold every slot.
pub(crate) fn costly(text: &str, max_words: usize) -> bool {
    if text.split_whitespace().nth(max_words).is_some() {
        return true;
    }
    if !understand::has_syntax(text) {
        return false;
    }
    query_grammar::parse_query(text).is_ok_and(|ast| expanding_terms(&ast) > 0 || phrases(&ast))
}

/// Whether the tree holds a quoted phrase of more than one word.
fn phrases(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().any(|(_, sub)| phrases(sub)),
        UserInputAst::Boost(sub, _) => phrases(sub),
        UserInputAst::Leaf(leaf) => matches!(leaf.as_ref(),
            UserInputLeaf::Literal(lit) if lit.delimiter != Delimiter::None
                && lit.phrase.split_whitespace().nth(1).is_some()),
    }
}

/// How many terms of the tree expand: `word~N`, `word*`, and phrases with `*` or `~N`.
fn expanding_terms(ast: &UserInputAst) -> usize {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().map(|(_, sub)| expanding_terms(sub)).sum(),
        UserInputAst::Boost(sub, _) => expanding_terms(sub),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(lit) if lit.delimiter == Delimiter::None => {
                let fuzzy = lit
                    .phrase
                    .rsplit_once('~')
                    .is_some_and(|(word, n)| !word.is_empty() && n.parse::<u32>().is_ok());
                let prefix = lit.phrase.len() > 1 && lit.phrase.ends_with('*');
                usize::from(fuzzy || prefix || lit.slop > 0 || lit.prefix)
            }
            UserInputLeaf::Literal(lit) => usize::from(lit.slop > 0 || lit.prefix),
            _ => 0,
        },
    }
}

/// The first field the tree names that a query may not name (`XAttention: Block ...`).
fn unknown_field(ast: &UserInputAst) -> Option<String> {
    let known = |f: &str| QUERY_FIELDS.iter().any(|k| k.eq_ignore_ascii_case(f));
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().find_map(|(_, sub)| unknown_field(sub)),
        UserInputAst::Boost(sub, _) => unknown_field(sub),
        UserInputAst::Leaf(leaf) => {
            let field = match leaf.as_ref() {
                UserInputLeaf::Literal(lit) => lit.field_name.as_deref(),
                UserInputLeaf::Range { field, .. }
                | UserInputLeaf::Set { field, .. }
                | UserInputLeaf::Regex { field, .. } => field.as_deref(),
                UserInputLeaf::Exists { field } => Some(field.as_str()),
                UserInputLeaf::All => None,
            };
            field.filter(|f| !known(f)).map(str::to_string)
        }
    }
}

/// Whether the tree holds anything tantivy's parser would get wrong or paperdex refuses:
/// `term*`, `term~N`, an `arXiv:` field, `field:*`, a regex or a range of words.
fn needs_rewrite(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().any(|(_, sub)| needs_rewrite(sub)),
        UserInputAst::Boost(sub, _) => needs_rewrite(sub),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(lit) => {
                lit.field_name
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case("arxiv"))
                    || (lit.delimiter == Delimiter::None
                        && (lit.phrase.ends_with('*') || lit.phrase.contains('~')))
            }
            UserInputLeaf::Exists { .. } | UserInputLeaf::Regex { .. } => true,
            UserInputLeaf::Range { field, .. } => field.as_deref() != Some("topic"),
            _ => false,
        },
    }
}

/// Whether the tree is only bare words (no field, quotes, prefix, fuzziness) joined by OR,
/// grouped or boosted. tantivy's parser ORs by default and turns each such word into one
/// term query per default field, or a phrase where the word analyzes to several tokens: so
/// where the built query has no phrase, its matches are the union of its terms' postings.
fn is_or_of_words(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => clauses
            .iter()
            .all(|(occur, sub)| matches!(occur, None | Some(Occur::Should)) && is_or_of_words(sub)),
        UserInputAst::Boost(sub, _) => is_or_of_words(sub),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(lit) => {
                lit.field_name.is_none()
                    && lit.delimiter == Delimiter::None
                    && !lit.prefix
                    && lit.slop == 0
                    && !lit.phrase.ends_with('*')
                    && !lit.phrase.contains('~')
            }
            _ => false,
        },
    }
}

/// `text` cut to at most `max` bytes, at the last whitespace before the cut when there is one.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    head.rfind(char::is_whitespace).map_or(head, |i| &head[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaConfig;
    use proptest::prelude::*;

    #[test]
    fn searches_that_expand_read_positions_or_hold_a_passage_are_costly() {
        for cheap in [
            "sparse attention",
            "title:attention author:xu",
            "attention -vision",
            "\"attention\"",
            "a quote \" not closed*",
        ] {
            assert!(!costly(cheap, 24), "{cheap}");
        }
        let passage = "word ".repeat(25);
        for dear in [
            "atten*",
            "spars~1 attention",
            "\"sparse attention\"",
            "\"sparse attention\"~3",
            "title:(a* OR b*)",
            passage.as_str(),
        ] {
            assert!(costly(dear, 24), "{dear}");
        }
    }

    fn words() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            prop::sample::select(vec![
                "AND",
                "OR",
                "NOT",
                "IN",
                "TO",
                "and",
                "or",
                "not",
                "Attention",
                "attention",
                "LLMs",
                "gpt4o",
                "2502",
                "00511",
                "MedS3",
                "x",
                "the",
                "of",
                "models",
                "modeling",
            ])
            .prop_map(str::to_string),
            "[A-Za-z0-9]{1,12}",
            "[a-z]{60,70}",
        ];
        prop::collection::vec(word, 1..6).prop_map(|w| w.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The bare-words shortcut builds the query tantivy's parser builds from the same text
        /// (same clauses, terms, boosts and order), and is only taken where it must be.
        #[test]
        fn bare_words_build_the_query_of_tantivys_parser(
            q in words(),
            spaces in prop::sample::select(vec![" ", "  ", "\t", " - "]),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let idx = PaperIndex::create(dir.path(), SchemaConfig::builtin()).unwrap();
            let q = q.replace(' ', spaces);
            let builder = QueryBuilder::new(&idx, &q);
            let bare = q.split(' ').all(|w| {
                w.len() < 64
                    && w.bytes().all(|b| b.is_ascii_alphanumeric())
                    && !["AND", "OR", "NOT", "IN", "TO"].contains(&w)
            });
            prop_assert_eq!(builder.is_bare_words(), bare, "{:?}", q);
            if bare {
                let ours = builder.build_syntax(false).unwrap().0;
                let tantivys = builder.parser.parse_query(&q).unwrap();
                prop_assert_eq!(format!("{ours:?}"), format!("{tantivys:?}"), "{:?}", q);
            }
        }
    }

    #[test]
    fn truncate_cuts_at_whitespace_and_char_boundaries() {
        assert_eq!(truncate("short text", 100), "short text");
        assert_eq!(truncate("one two three", 9), "one two");
        assert_eq!(truncate("onetwothree", 5), "onetw");
        // `é` is two bytes: a cut inside it backs off to the boundary.
        assert_eq!(truncate("éé", 3), "é");
    }
}
