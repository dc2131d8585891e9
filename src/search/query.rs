//! Query text -> tantivy query. tantivy's grammar parses the syntax; paperdex walks the tree
//! to add what its parser lacks: `atten*` on a single term (prefix), `spars~1` on a single
//! term (fuzzy), and `arXiv:ID` as a lookup of the id field.

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, Query, QueryParser,
    RegexQuery,
};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, FieldType};
use tantivy::Term;

use crate::analysis::terms;
use crate::error::{Error, Result};
use crate::index::PaperIndex;

/// Most edits a fuzzy term may have (Levenshtein automata are built up to distance 2).
const MAX_FUZZY_DISTANCE: u32 = 2;

pub(crate) struct QueryBuilder<'a> {
    idx: &'a PaperIndex,
    parser: QueryParser,
    defaults: Vec<(Field, f32)>,
    query: &'a str,
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
        }
    }

    fn syntax(&self, message: impl Into<String>) -> Error {
        Error::QuerySyntax {
            query: self.query.to_string(),
            message: message.into(),
        }
    }

    pub fn build(&self) -> Result<Box<dyn Query>> {
        if self.query.trim().is_empty() {
            return Ok(Box::new(AllQuery));
        }
        let ast = query_grammar::parse_query(self.query).map_err(|_| {
            self.syntax("check quotes, parentheses and operators (AND, OR, NOT, +, -)")
        })?;
        if !needs_rewrite(&ast) {
            // The common case goes through tantivy's own parser unchanged, so plain queries
            // score exactly as tantivy scores them.
            return self
                .parser
                .parse_query(self.query)
                .map_err(|e| self.syntax(e.to_string()));
        }
        self.node(ast)
    }

    fn node(&self, ast: UserInputAst) -> Result<Box<dyn Query>> {
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
                    .map(|(occur, sub)| Ok((occur.unwrap_or(Occur::Should), self.node(sub)?)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Box::new(BooleanQuery::new(subs)))
            }
            UserInputAst::Boost(sub, boost) => {
                Ok(Box::new(BoostQuery::new(self.node(*sub)?, boost.0 as f32)))
            }
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
            other => other,
        };
        self.parser
            .build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(leaf)))
            .map_err(|e| self.syntax(e.to_string()))
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
            let entry = self.idx.fields.schema.get_field_entry(field);
            let FieldType::Str(options) = entry.field_type() else {
                continue;
            };
            let Some(indexing) = options.get_indexing_options() else {
                continue;
            };
            let mut analyzer = self
                .idx
                .index
                .tokenizers()
                .get(indexing.tokenizer())
                .ok_or_else(|| {
                    Error::Index(tantivy::TantivyError::InternalError(format!(
                        "tokenizer {} not registered",
                        indexing.tokenizer()
                    )))
                })?;
            let tokens = terms(&mut analyzer, &lit.phrase);
            let [token] = tokens.as_slice() else {
                // Several tokens: leave it to tantivy (phrase prefix or phrase slop).
                return Ok(None);
            };
            let q: Box<dyn Query> = if lit.prefix {
                let pattern = format!("{}.*", regex_syntax_escape(token));
                Box::new(
                    RegexQuery::from_pattern(&pattern, field)
                        .map_err(|e| self.syntax(e.to_string()))?,
                )
            } else {
                let distance = lit.slop.min(MAX_FUZZY_DISTANCE) as u8;
                Box::new(FuzzyTermQuery::new(
                    Term::from_field_text(field, token),
                    distance,
                    true,
                ))
            };
            per_field.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
        Ok(Some(Box::new(BooleanQuery::new(per_field))))
    }
}

/// Whether the tree holds anything tantivy's parser would get wrong: `term*`, `term~N` or an
/// `arXiv:` field.
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
            _ => false,
        },
    }
}

fn regex_syntax_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
