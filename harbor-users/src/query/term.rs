use std::fmt;

use super::{Key, QueryError, Value};

/// One condition of a `q` filter: a key, `=`, and a value pattern.
///
/// Harbor keeps a user only if it meets every term. The methods of [`Query`](super::Query)
/// build terms; a variant written here is checked when it is added with
/// [`Query::with_term`](super::Query::with_term). `Display` renders a term without checking
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Term {
    /// `key=value`: the field equals `value`, compared as case-sensitive text.
    ///
    /// Harbor strips one leading `\`, so a value that starts with `~`, `[`, `{`, `(` or
    /// `\`, and would otherwise read as another pattern or lose its backslash, is sent
    /// behind a `\`. An empty value is sent as a lone `\`, which matches an empty string.
    ///
    /// ```
    /// use harbor_users::query::{Key, Term};
    ///
    /// let term = Term::Exact { key: Key::from("username"), value: "alice".into() };
    /// assert_eq!(term.to_string(), "username=alice");
    ///
    /// let term = Term::Exact { key: Key::from("comment"), value: "~draft".into() };
    /// assert_eq!(term.to_string(), r"comment=\~draft");
    ///
    /// let term = Term::Exact { key: Key::from("comment"), value: String::new() };
    /// assert_eq!(term.to_string(), r"comment=\");
    /// ```
    Exact {
        /// The field compared.
        key: Key,
        /// The text it must equal.
        value: String,
    },

    /// `key=~value`: the field contains `value`, ignoring case.
    ///
    /// Harbor escapes `%`, `_` and `\` in `value` before its SQL `ILIKE`, so they match
    /// themselves.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Term};
    ///
    /// let term = Term::Fuzzy { key: Key::new(Field::Email), value: "@example.com".into() };
    /// assert_eq!(term.to_string(), "email=~@example.com");
    /// ```
    Fuzzy {
        /// The field searched.
        key: Key,
        /// The text it must contain; not empty.
        value: String,
    },

    /// `key=[min~max]`: the field is between the bounds, both included; either bound may be
    /// left out, not both.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Term, Timestamp, Value};
    ///
    /// let since: Timestamp = "2024-01-01T00:00:00".parse()?;
    /// let term = Term::Range {
    ///     key: Key::new(Field::CreationTime),
    ///     min: Some(Value::Time(since)),
    ///     max: None,
    /// };
    /// assert_eq!(term.to_string(), "creation_time=[2024-01-01T00:00:00~]");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    Range {
        /// The field compared.
        key: Key,
        /// The lowest value included, if any.
        min: Option<Value>,
        /// The highest value included, if any.
        max: Option<Value>,
    },

    /// `key={v1 v2}`: the field equals one of the values.
    ///
    /// An empty list matches no user.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Term, Value};
    ///
    /// let term = Term::AnyOf {
    ///     key: Key::new(Field::UserId),
    ///     values: vec![Value::Integer(3), Value::Integer(5)],
    /// };
    /// assert_eq!(term.to_string(), "user_id={3 5}");
    /// ```
    AnyOf {
        /// The field compared.
        key: Key,
        /// The values it may equal.
        values: Vec<Value>,
    },

    /// `key=(v1 v2)`: the field matches all of the values.
    ///
    /// Only some of Harbor's resources implement this; the user list ignores it and answers
    /// as if the term were absent.
    ///
    /// ```
    /// use harbor_users::query::{Key, Term, Value};
    ///
    /// let term = Term::AllOf {
    ///     key: Key::from("tags"),
    ///     values: vec![Value::from("prod"), Value::from("eu")],
    /// };
    /// assert_eq!(term.to_string(), "tags=(prod eu)");
    /// ```
    AllOf {
        /// The field compared.
        key: Key,
        /// The values it must match.
        values: Vec<Value>,
    },

    /// Text sent unchanged, for what the other variants cannot say.
    ///
    /// Added with [`Query::with_term`](super::Query::with_term) or
    /// [`Query::raw_term`](super::Query::raw_term), it must be one `key=value` term without
    /// a comma; [`Query::raw`](super::Query::raw) takes a whole `q` string unchecked.
    ///
    /// ```
    /// use harbor_users::query::Term;
    ///
    /// let term = Term::Raw(r#"comment=[""~m]"#.into());
    /// assert_eq!(term.to_string(), r#"comment=[""~m]"#);
    /// ```
    Raw(String),
}

impl Term {
    /// The key of the term, or `None` for a [`Term::Raw`].
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Term};
    ///
    /// let term = Term::Fuzzy { key: Key::new(Field::Email), value: "x".into() };
    /// assert_eq!(term.key(), Some(&Key::new(Field::Email)));
    /// ```
    pub fn key(&self) -> Option<&Key> {
        match self {
            Term::Exact { key, .. }
            | Term::Fuzzy { key, .. }
            | Term::Range { key, .. }
            | Term::AnyOf { key, .. }
            | Term::AllOf { key, .. } => Some(key),
            Term::Raw(_) => None,
        }
    }

    /// Checks that Harbor reads the rendered term back as this term.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, QueryError, Term, Value};
    ///
    /// let term = Term::AnyOf {
    ///     key: Key::new(Field::Realname),
    ///     values: vec![Value::from("Ada Lovelace")],
    /// };
    /// assert!(matches!(term.check(), Err(QueryError::SpaceInListItem { .. })));
    /// ```
    pub fn check(&self) -> Result<(), QueryError> {
        let Some(key) = self.key().map(Key::as_str) else {
            return self.check_raw();
        };
        self.check_key(key)?;

        match self {
            Term::Exact { value, .. } => check_no_comma(key, value),
            Term::Fuzzy { value, .. } if value.is_empty() => Err(QueryError::EmptyFuzzyValue {
                key: key.to_owned(),
            }),
            Term::Fuzzy { value, .. } => check_no_comma(key, value),
            Term::Range {
                min: None,
                max: None,
                ..
            } => Err(QueryError::RangeWithoutBound {
                key: key.to_owned(),
            }),
            Term::Range { min, max, .. } => min
                .iter()
                .chain(max)
                .try_for_each(|bound| bound.check_range_bound(key)),
            Term::AnyOf { values, .. } | Term::AllOf { values, .. } => {
                values.iter().try_for_each(|item| item.check_list_item(key))
            }
            Term::Raw(_) => self.check_raw(),
        }
    }

    fn check_key(&self, key: &str) -> Result<(), QueryError> {
        if key.is_empty() {
            return Err(QueryError::EmptyKey {
                term: self.to_string(),
            });
        }
        match key.chars().find(|&c| c == ',' || c == '=') {
            Some(character) => Err(QueryError::ForbiddenCharacterInKey {
                key: key.to_owned(),
                character,
            }),
            None => Ok(()),
        }
    }

    fn check_raw(&self) -> Result<(), QueryError> {
        let text = self.to_string();
        if text.contains(',') {
            return Err(QueryError::CommaInRawTerm { term: text });
        }
        match text.split_once('=') {
            None => Err(QueryError::MissingEquals { term: text }),
            Some(("", _)) => Err(QueryError::EmptyKey { term: text }),
            Some((_, "")) => Err(QueryError::EmptyValue { term: text }),
            Some(_) => Ok(()),
        }
    }

    /// The keys Harbor would see in the rendered term; a raw term may hold several.
    pub(super) fn keys(&self) -> Vec<&str> {
        match self {
            Term::Raw(text) => text
                .split(',')
                .filter_map(|part| part.split_once('=').map(|(key, _)| key))
                .collect(),
            _ => self.key().map(Key::as_str).into_iter().collect(),
        }
    }

    /// Parses one term as Harbor's `parseKeywords` and `parsePattern` do, then checks that
    /// the typed term renders back to the same meaning.
    pub(super) fn parse(text: &str) -> Result<Term, QueryError> {
        let Some((key, value)) = text.split_once('=') else {
            return Err(QueryError::MissingEquals {
                term: text.to_owned(),
            });
        };
        if key.is_empty() {
            return Err(QueryError::EmptyKey {
                term: text.to_owned(),
            });
        }
        if value.is_empty() {
            return Err(QueryError::EmptyValue {
                term: text.to_owned(),
            });
        }

        let term = if let Some(fuzzy) = value.strip_prefix('~') {
            Term::Fuzzy {
                key: Key::from(key),
                value: fuzzy.to_owned(),
            }
        } else if value.starts_with('[') {
            parse_range(key, value)?
        } else if value.starts_with('{') {
            Term::AnyOf {
                key: Key::from(key),
                values: parse_list(key, value, '{', '}')?,
            }
        } else if value.starts_with('(') {
            Term::AllOf {
                key: Key::from(key),
                values: parse_list(key, value, '(', ')')?,
            }
        } else {
            Term::Exact {
                key: Key::from(key),
                value: value.strip_prefix('\\').unwrap_or(value).to_owned(),
            }
        };

        term.check()?;
        Ok(term)
    }
}

fn check_no_comma(key: &str, value: &str) -> Result<(), QueryError> {
    if value.contains(',') {
        return Err(QueryError::CommaInValue {
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(())
}

fn parse_range(key: &str, value: &str) -> Result<Term, QueryError> {
    let malformed = |problem| QueryError::MalformedValue {
        key: key.to_owned(),
        value: value.to_owned(),
        problem,
    };
    let inner = value
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .ok_or_else(|| malformed("a range must end with `]`"))?;
    if value.matches('~').count() != 1 {
        return Err(malformed(
            "a range must hold exactly one `~`, between its bounds",
        ));
    }
    let (min, max) = inner
        .split_once('~')
        .ok_or_else(|| malformed("a range must hold exactly one `~`, between its bounds"))?;

    let read_bound = |bound: &str| match bound.trim() {
        "" => Ok(None),
        bound => Value::read(bound, key).map(Some),
    };
    Ok(Term::Range {
        key: Key::from(key),
        min: read_bound(min)?,
        max: read_bound(max)?,
    })
}

fn parse_list(key: &str, value: &str, open: char, close: char) -> Result<Vec<Value>, QueryError> {
    let inner = value
        .strip_prefix(open)
        .and_then(|inner| inner.strip_suffix(close))
        .ok_or_else(|| QueryError::MalformedValue {
            key: key.to_owned(),
            value: value.to_owned(),
            problem: if close == '}' {
                "a list that starts with `{` must end with `}`"
            } else {
                "a list that starts with `(` must end with `)`"
            },
        })?;

    let mut items = Vec::new();
    for token in inner.split(' ') {
        match Value::read(token, key)? {
            // Harbor drops items that read as an empty string, such as those between two spaces.
            Value::Text(text) if text.is_empty() => {}
            item => items.push(item),
        }
    }
    Ok(items)
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Exact { key, value } => {
                let escape = value.is_empty() || value.starts_with(['~', '[', '{', '(', '\\']);
                let escape = if escape { "\\" } else { "" };
                write!(f, "{key}={escape}{value}")
            }
            Term::Fuzzy { key, value } => write!(f, "{key}=~{value}"),
            Term::Range { key, min, max } => {
                write!(f, "{key}=[")?;
                if let Some(min) = min {
                    write!(f, "{min}")?;
                }
                f.write_str("~")?;
                if let Some(max) = max {
                    write!(f, "{max}")?;
                }
                f.write_str("]")
            }
            Term::AnyOf { key, values } => write_list(f, key, values, '{', '}'),
            Term::AllOf { key, values } => write_list(f, key, values, '(', ')'),
            Term::Raw(text) => f.write_str(text),
        }
    }
}

fn write_list(
    f: &mut fmt::Formatter<'_>,
    key: &Key,
    values: &[Value],
    open: char,
    close: char,
) -> fmt::Result {
    write!(f, "{key}={open}")?;
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{value}")?;
    }
    write!(f, "{close}")
}
