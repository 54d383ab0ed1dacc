//! Typed filters (`q`) and orders (`sort`) for listing Harbor users.
//!
//! Harbor filters a listing with `q`, a comma-separated list of terms that must all hold:
//!
//! | term | meaning | built with |
//! | --- | --- | --- |
//! | `k=v` | `k` equals `v`, as case-sensitive text | [`Query::exact`] |
//! | `k=~v` | `k` contains `v`, ignoring case | [`Query::fuzzy`] |
//! | `k=[min~max]` | `k` is between the bounds, both included | [`Query::range`] |
//! | `k={a b}` | `k` equals one of the values | [`Query::any_of`] |
//! | `k=(a b)` | `k` matches all of the values | [`Query::all_of`] |
//!
//! A range may leave one bound out: [`Query::at_least`] and [`Query::at_most`].
//!
//! [`Query`] renders exactly what Harbor parses, escaping what can be escaped, and refuses
//! what cannot be said before any request is made: a comma anywhere in a key or a value
//! (Harbor splits `q` on every comma, encoded or not), a space inside a list item (lists
//! are split on spaces), a `~` inside a range bound, a range with no bound, a list item or
//! bound that starts or ends with a quote (Harbor strips those), and two terms with the
//! same key (Harbor keeps only the last). The errors are [`QueryError`]s that name the key
//! and the offending value or character. `FromStr` parses the same grammar back, so a query
//! built here survives a round trip through its text. [`Query::raw`] and [`Term::Raw`] pass
//! text through for anything the types do not cover.
//!
//! ```
//! use harbor_users::query::{Field, Query, Sort, Timestamp};
//!
//! let since: Timestamp = "2024-01-01T00:00:00".parse()?;
//! let query = Query::new()
//!     .fuzzy(Field::Email, "@example.com")?
//!     .at_least(Field::CreationTime, since)?
//!     .any_of(Field::SysadminFlag, [false])?;
//! assert_eq!(
//!     query.to_string(),
//!     "email=~@example.com,creation_time=[2024-01-01T00:00:00~],sysadmin_flag={false}"
//! );
//! assert_eq!(query.to_string().parse::<Query>()?, query);
//!
//! let sort = Sort::new().desc(Field::CreationTime)?.asc(Field::Username)?;
//! assert_eq!(sort.to_string(), "-creation_time,username");
//! # Ok::<(), harbor_users::query::QueryError>(())
//! ```
//!
//! # Why `q` is encoded twice
//!
//! Harbor decodes `q` twice. Its HTTP framework, go-swagger, decodes the query string once,
//! as every server does, and Harbor's query parser then runs Go's `url.QueryUnescape` over the
//! result again. With the usual single encoding the second decoding corrupts values: a `+`,
//! as in `+ops@x.io`, comes out as a space, and `%41` comes out as `A`. (When the second
//! decoding fails, on a stray `%`, Harbor keeps the once-decoded text, so some values
//! happen to survive; most do not.)
//!
//! [`Query::to_query_param`] therefore percent-encodes the rendered query itself, and the
//! HTTP layer encodes the result once more when it builds the URL, as `reqwest`'s
//! `.query(..)` and `url`'s form serializer do. Harbor's two decodings then undo the two
//! encodings and see exactly the rendered query. Double encoding is right whatever the
//! value holds, so it is applied to every query rather than only to those with `%` or `+`;
//! spaces inside a `{…}` list, for instance, survive both decodings. Only the `q` parameter
//! is decoded twice: `sort` is sent as [`Sort::to_query_param`] returns it, encoded once by
//! the HTTP layer.
//!
//! ```
//! use harbor_users::query::{Field, Query};
//!
//! let query = Query::new().fuzzy(Field::Email, "+ops@x.io")?;
//! assert_eq!(query.to_string(), "email=~+ops@x.io");
//! assert_eq!(query.to_query_param(), "email%3D~%2Bops%40x.io");
//!
//! let wire = url::form_urlencoded::Serializer::new(String::new())
//!     .append_pair("q", &query.to_query_param())
//!     .finish();
//! assert_eq!(wire, "q=email%253D%7E%252Bops%2540x.io");
//! # Ok::<(), harbor_users::query::QueryError>(())
//! ```

mod error;
mod key;
mod sort;
mod term;
mod value;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use error::QueryError;
pub use key::{Field, Key, Operator};
pub use sort::{Order, Sort, SortKey};
pub use term::Term;
pub use value::{Timestamp, Value};

/// Everything but the characters RFC 3986 leaves unreserved, so that the only `%` left in
/// the first encoding starts an escape and no `+` is left for the second decoding to turn
/// into a space.
const FIRST_ENCODING: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `q` filter for listing Harbor users: terms that must all hold.
///
/// Every term is checked when it is added, so a `Query` always renders to a `q` that Harbor
/// reads back as the same terms. `Display` renders that `q` as Harbor sees it after
/// decoding; send [`to_query_param`](Query::to_query_param) instead, which is encoded for
/// Harbor's second decoding (see the [module documentation](self)). An empty query renders
/// as an empty string, which Harbor treats as no filter.
///
/// ```
/// use harbor_users::query::{Field, Query};
///
/// let query = Query::new()
///     .exact(Field::SysadminFlag, true)?
///     .fuzzy(Field::Username, "ops")?;
/// assert_eq!(query.to_string(), "sysadmin_flag=true,username=~ops");
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

impl Query {
    /// An empty query, which matches every user.
    ///
    /// ```
    /// use harbor_users::query::Query;
    ///
    /// assert!(Query::new().is_empty());
    /// assert_eq!(Query::new().to_string(), "");
    /// ```
    pub fn new() -> Self {
        Query::default()
    }

    /// A query made of a whole `q` string, sent unchanged and unchecked, for what the typed
    /// terms cannot say.
    ///
    /// Typed terms may follow it; [`to_query_param`](Query::to_query_param) still encodes
    /// it for Harbor's second decoding, so write it as Harbor should see it.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::raw(r#"comment=[""~m],user_id__gt=1"#).exact(Field::Realname, "Ada")?;
    /// assert_eq!(query.to_string(), r#"comment=[""~m],user_id__gt=1,realname=Ada"#);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn raw(q: impl Into<String>) -> Self {
        let q = q.into();
        if q.is_empty() {
            return Query::new();
        }
        Query {
            terms: vec![Term::Raw(q)],
        }
    }

    /// Adds a term after checking it, and that no earlier term has the same key.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Query, QueryError, Term};
    ///
    /// let query = Query::new().with_term(Term::Fuzzy {
    ///     key: Key::new(Field::Realname),
    ///     value: "smith".into(),
    /// })?;
    /// assert_eq!(query.to_string(), "realname=~smith");
    ///
    /// let again = query.exact(Field::Realname, "Smith");
    /// assert!(matches!(again, Err(QueryError::DuplicateKey { .. })));
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn with_term(mut self, term: Term) -> Result<Self, QueryError> {
        term.check()?;
        let seen: Vec<&str> = self.terms.iter().flat_map(Term::keys).collect();
        if let Some(key) = term.keys().into_iter().find(|key| seen.contains(key)) {
            return Err(QueryError::DuplicateKey {
                key: key.to_owned(),
            });
        }
        self.terms.push(term);
        Ok(self)
    }

    /// Adds `key=value`: the field equals the value, compared as case-sensitive text.
    ///
    /// Harbor compares exact values as text whatever their type; PostgreSQL converts the
    /// text for numeric, boolean and time columns. A value starting with `~`, `[`, `{`, `(`
    /// or `\` is sent behind a `\`, which Harbor strips; an empty value, sent as a lone
    /// `\`, matches an empty string. Fails if the key is empty or holds `,` or `=`, or the
    /// value holds a comma.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::new().exact(Field::UserId, 7)?;
    /// assert_eq!(query.to_string(), "user_id=7");
    ///
    /// let query = Query::new().exact(Field::Comment, "[team] ops")?;
    /// assert_eq!(query.to_string(), r"comment=\[team] ops");
    ///
    /// let query = Query::new().exact(Field::Comment, r"\\share")?;
    /// assert_eq!(query.to_string(), r"comment=\\\share");
    ///
    /// let query = Query::new().exact(Field::Comment, "")?;
    /// assert_eq!(query.to_string(), r"comment=\");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn exact(self, key: impl Into<Key>, value: impl Into<Value>) -> Result<Self, QueryError> {
        self.with_term(Term::Exact {
            key: key.into(),
            value: value.into().into_text(),
        })
    }

    /// Adds `key=~value`: the field contains the value, ignoring case.
    ///
    /// Fails if the key is empty or holds `,` or `=`, or the value is empty or holds a
    /// comma.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::new().fuzzy(Field::Email, "~x@example.com")?;
    /// assert_eq!(query.to_string(), "email=~~x@example.com");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn fuzzy(self, key: impl Into<Key>, value: impl Into<String>) -> Result<Self, QueryError> {
        self.with_term(Term::Fuzzy {
            key: key.into(),
            value: value.into(),
        })
    }

    /// Adds `key=[min~max]`: the field is between the bounds, both included.
    ///
    /// Text bounds that Harbor would read as a number or a time, or trim, are sent quoted.
    /// Fails if the key is invalid, or a text bound is empty, holds `,` or `~`, or starts
    /// or ends with a quote.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query, Timestamp};
    ///
    /// let query = Query::new().range(Field::UserId, 10, 20)?;
    /// assert_eq!(query.to_string(), "user_id=[10~20]");
    ///
    /// let query = Query::new().range(Field::Username, "a", "m")?;
    /// assert_eq!(query.to_string(), "username=[a~m]");
    ///
    /// let start: Timestamp = "2024-01-01T00:00:00".parse()?;
    /// let end: Timestamp = "2024-12-31T23:59:59".parse()?;
    /// let query = Query::new().range(Field::UpdateTime, start, end)?;
    /// assert_eq!(query.to_string(), "update_time=[2024-01-01T00:00:00~2024-12-31T23:59:59]");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn range(
        self,
        key: impl Into<Key>,
        min: impl Into<Value>,
        max: impl Into<Value>,
    ) -> Result<Self, QueryError> {
        self.with_term(Term::Range {
            key: key.into(),
            min: Some(min.into()),
            max: Some(max.into()),
        })
    }

    /// Adds `key=[min~]`: the field is at least `min`.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::new().at_least(Field::UserId, 100)?;
    /// assert_eq!(query.to_string(), "user_id=[100~]");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn at_least(self, key: impl Into<Key>, min: impl Into<Value>) -> Result<Self, QueryError> {
        self.with_term(Term::Range {
            key: key.into(),
            min: Some(min.into()),
            max: None,
        })
    }

    /// Adds `key=[~max]`: the field is at most `max`.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::new().at_most(Field::Username, "2024 intake")?;
    /// assert_eq!(query.to_string(), r#"username=[~"2024 intake"]"#);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn at_most(self, key: impl Into<Key>, max: impl Into<Value>) -> Result<Self, QueryError> {
        self.with_term(Term::Range {
            key: key.into(),
            min: None,
            max: Some(max.into()),
        })
    }

    /// Adds `key={v1 v2}`: the field equals one of the values. An empty list matches no
    /// user.
    ///
    /// Text items that Harbor would read as a number or a time, or trim, are sent quoted.
    /// Fails if the key is invalid, or a text item is empty, holds a space or a comma, or
    /// starts or ends with a quote.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::new().any_of(Field::Username, ["alice", "bob"])?;
    /// assert_eq!(query.to_string(), "username={alice bob}");
    ///
    /// let query = Query::new().any_of(Field::UserId, [3, 5, 8])?;
    /// assert_eq!(query.to_string(), "user_id={3 5 8}");
    ///
    /// let query = Query::new().any_of(Field::Username, ["007", "q"])?;
    /// assert_eq!(query.to_string(), r#"username={"007" q}"#);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn any_of<V: Into<Value>>(
        self,
        key: impl Into<Key>,
        values: impl IntoIterator<Item = V>,
    ) -> Result<Self, QueryError> {
        self.with_term(Term::AnyOf {
            key: key.into(),
            values: values.into_iter().map(Into::into).collect(),
        })
    }

    /// Adds `key=(v1 v2)`: the field matches all of the values.
    ///
    /// Harbor's user listing ignores this form and answers as if the term were absent; it
    /// exists for keys of other resources. Items follow the rules of
    /// [`any_of`](Query::any_of).
    ///
    /// ```
    /// use harbor_users::query::Query;
    ///
    /// let query = Query::new().all_of("labels", ["prod", "eu"])?;
    /// assert_eq!(query.to_string(), "labels=(prod eu)");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn all_of<V: Into<Value>>(
        self,
        key: impl Into<Key>,
        values: impl IntoIterator<Item = V>,
    ) -> Result<Self, QueryError> {
        self.with_term(Term::AllOf {
            key: key.into(),
            values: values.into_iter().map(Into::into).collect(),
        })
    }

    /// Adds one `key=value` term written by hand, sent unchanged.
    ///
    /// Fails if the term holds a comma, has no `=`, or has an empty key or value.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query, QueryError};
    ///
    /// let query = Query::new()
    ///     .fuzzy(Field::Username, "ops")?
    ///     .raw_term("user_id__gt=100")?;
    /// assert_eq!(query.to_string(), "username=~ops,user_id__gt=100");
    ///
    /// let two_terms = Query::new().raw_term("user_id=1,email=~x");
    /// assert!(matches!(two_terms, Err(QueryError::CommaInRawTerm { .. })));
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn raw_term(self, term: impl Into<String>) -> Result<Self, QueryError> {
        self.with_term(Term::Raw(term.into()))
    }

    /// The terms, in the order they were added.
    ///
    /// ```
    /// use harbor_users::query::{Field, Key, Query, Term};
    ///
    /// let query: Query = "email=~@x.io".parse()?;
    /// let expected = Term::Fuzzy { key: Key::new(Field::Email), value: "@x.io".into() };
    /// assert_eq!(query.terms(), [expected]);
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether the query has no term, so that `q` can be left out of the request.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// assert!(!Query::new().fuzzy(Field::Email, "x")?.is_empty());
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value to give the HTTP layer for the `q` query parameter: the rendered query,
    /// percent-encoded once, for the HTTP layer to encode a second time.
    ///
    /// Harbor decodes `q` twice (see the [module documentation](self)); a value encoded
    /// only once would reach Harbor's second decoding with its `+` and `%` still bare.
    ///
    /// ```
    /// use harbor_users::query::{Field, Query};
    ///
    /// let query = Query::new().any_of(Field::Username, ["a+b", "x%41"])?;
    /// assert_eq!(query.to_string(), "username={a+b x%41}");
    /// assert_eq!(query.to_query_param(), "username%3D%7Ba%2Bb%20x%2541%7D");
    /// # Ok::<(), harbor_users::query::QueryError>(())
    /// ```
    pub fn to_query_param(&self) -> String {
        utf8_percent_encode(&self.to_string(), FIRST_ENCODING).to_string()
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, term) in self.terms.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{term}")?;
        }
        Ok(())
    }
}

/// Parses `q` as Harbor does after decoding it; an empty string is an empty query.
///
/// What Harbor would reject is rejected, and so is what it accepts but the typed terms
/// cannot hold: a repeated key, an empty text range bound and fractional seconds. Pass such
/// text to [`Query::raw`] instead.
///
/// ```
/// use harbor_users::query::{Field, Query, QueryError};
///
/// let query: Query = r#"username={alice "42"},user_id=[10~]"#.parse()?;
/// let expected = Query::new()
///     .any_of(Field::Username, ["alice", "42"])?
///     .at_least(Field::UserId, 10)?;
/// assert_eq!(query, expected);
///
/// let error = "email=~".parse::<Query>().unwrap_err();
/// assert_eq!(error, QueryError::EmptyFuzzyValue { key: "email".into() });
/// # Ok::<(), harbor_users::query::QueryError>(())
/// ```
impl FromStr for Query {
    type Err = QueryError;

    fn from_str(q: &str) -> Result<Self, Self::Err> {
        if q.is_empty() {
            return Ok(Query::new());
        }
        q.split(',').try_fold(Query::new(), |query, text| {
            query.with_term(Term::parse(text)?)
        })
    }
}
