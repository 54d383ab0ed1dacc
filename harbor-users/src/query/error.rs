use thiserror::Error;

/// Why a `q` filter, a sort or a timestamp cannot be sent to Harbor as asked.
///
/// Every message names the key and the offending value or character, and the Harbor rule it
/// breaks, so it can be shown as is to whoever wrote the filter.
///
/// ```
/// use harbor_users::query::{Field, Query, QueryError};
///
/// let error = Query::new().exact(Field::Email, "a@x.io,b@x.io").unwrap_err();
/// assert!(matches!(error, QueryError::CommaInValue { .. }));
/// assert_eq!(
///     error.to_string(),
///     "the value `a@x.io,b@x.io` for key `email` contains a comma; Harbor splits `q` on every \
///      comma, and no escape or encoding prevents it"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A term has nothing before its `=`.
    #[error("the term `{term}` has an empty key; Harbor needs `key=value`")]
    EmptyKey {
        /// The term as it would have been sent.
        term: String,
    },

    /// A key contains `,` or `=`.
    #[error(
        "the key `{key}` contains `{character}`; Harbor splits `q` on every `,` and each term \
         at its first `=`, so a key can hold neither"
    )]
    ForbiddenCharacterInKey {
        /// The offending key.
        key: String,
        /// The character Harbor would split on.
        character: char,
    },

    /// A parsed or raw term has nothing after its `=`.
    #[error(
        "the term `{term}` has an empty value; Harbor needs `key=value` (to match an empty \
         string exactly, write `key=\\`)"
    )]
    EmptyValue {
        /// The offending term.
        term: String,
    },

    /// A fuzzy match has an empty search text.
    #[error("the fuzzy value for key `{key}` is empty; Harbor answers 400 to `{key}=~`")]
    EmptyFuzzyValue {
        /// The key of the fuzzy term.
        key: String,
    },

    /// A list item is an empty string.
    #[error("a list item for key `{key}` is an empty string, which Harbor skips silently")]
    EmptyListItem {
        /// The key of the list.
        key: String,
    },

    /// A range bound is an empty string.
    #[error(
        "a range bound for key `{key}` is an empty string; leave the bound out to leave that \
         side open"
    )]
    EmptyRangeBound {
        /// The key of the range.
        key: String,
    },

    /// A value contains a comma.
    #[error(
        "the value `{value}` for key `{key}` contains a comma; Harbor splits `q` on every \
         comma, and no escape or encoding prevents it"
    )]
    CommaInValue {
        /// The key the value belongs to.
        key: String,
        /// The offending value.
        value: String,
    },

    /// A raw term contains a comma, so Harbor would read it as several terms.
    #[error(
        "the raw term `{term}` contains a comma, so Harbor would read it as several terms; \
         pass a whole `q` string to `Query::raw` instead"
    )]
    CommaInRawTerm {
        /// The offending raw term.
        term: String,
    },

    /// A list item contains a space.
    #[error(
        "the list item `{item}` for key `{key}` contains a space; Harbor splits `{{...}}` and \
         `(...)` lists on every space"
    )]
    SpaceInListItem {
        /// The key of the list.
        key: String,
        /// The offending item.
        item: String,
    },

    /// A range bound contains `~`.
    #[error(
        "the range bound `{bound}` for key `{key}` contains `~`; Harbor needs exactly one `~` \
         in a range, between the bounds"
    )]
    TildeInRangeBound {
        /// The key of the range.
        key: String,
        /// The offending bound.
        bound: String,
    },

    /// A list item or range bound starts or ends with `"` or `'`.
    #[error(
        "the value `{value}` for key `{key}` starts or ends with a quote; Harbor strips every \
         leading and trailing `\"` and `'` from list items and range bounds"
    )]
    QuoteAtEdge {
        /// The key the value belongs to.
        key: String,
        /// The offending value.
        value: String,
    },

    /// A range has neither bound.
    #[error("the range for key `{key}` has neither a lower nor an upper bound; Harbor needs one")]
    RangeWithoutBound {
        /// The key of the range.
        key: String,
    },

    /// Two terms have the same key.
    #[error("the key `{key}` appears more than once; Harbor keeps only the last term for a key")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },

    /// A parsed or raw term has no `=`.
    #[error("the term `{term}` has no `=`; Harbor needs `key=value`")]
    MissingEquals {
        /// The offending term.
        term: String,
    },

    /// A parsed value starts like a range or a list but is not one.
    #[error("the value `{value}` for key `{key}` is malformed: {problem}")]
    MalformedValue {
        /// The key the value belongs to.
        key: String,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// A parsed list item or range bound is a time with fractional seconds, which
    /// [`Timestamp`] cannot hold.
    ///
    /// [`Timestamp`]: super::Timestamp
    #[error(
        "the value `{value}` for key `{key}` is a time with fractional seconds, which this \
         crate cannot represent; pass it through `Query::raw` instead"
    )]
    FractionalSeconds {
        /// The key the value belongs to.
        key: String,
        /// The offending value.
        value: String,
    },

    /// A timestamp is not one that Harbor reads as a time.
    #[error("`{input}` is not a timestamp of the form `YYYY-MM-DDTHH:MM:SS`: {problem}")]
    InvalidTimestamp {
        /// The text or fields given.
        input: String,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// A sort key is empty.
    #[error("the sort `{sort}` has an empty key")]
    EmptySortKey {
        /// The whole sort, as it would have been sent.
        sort: String,
    },

    /// A sort key contains a comma.
    #[error(
        "the sort key `{key}` contains a comma, which Harbor reads as the end of the key; a \
         sort key cannot hold one"
    )]
    CommaInSortKey {
        /// The offending key.
        key: String,
    },

    /// A sort key starts with `-`.
    #[error(
        "the sort key `{key}` starts with `-`, which Harbor reads as descending order; a sort \
         key cannot start with one"
    )]
    DashAtSortKeyStart {
        /// The offending key.
        key: String,
    },
}
