//! The parts of Go's `encoding/json` and `strconv` whose exact output shows through Harbor.
//!
//! Harbor answers body errors with the text of Go's JSON decoder ("invalid character 'x'
//! looking for beginning of value", "unexpected EOF", "json: cannot unmarshal number into Go
//! struct field …"), so request bodies are scanned here with Go's grammar and Go's messages
//! rather than with serde's.

use serde::Serialize;

/// Serialises like Go's `json.Marshal`, which escapes `<`, `>` and `&` (Harbor's error bodies).
pub(crate) fn marshal_escaping_html<T: Serialize>(value: &T) -> Vec<u8> {
    let text = marshal(value);
    let mut out = Vec::with_capacity(text.len());
    for &byte in &text {
        match byte {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            _ => out.push(byte),
        }
    }
    out
}

/// Serialises like go-openapi's JSON producer: no HTML escaping, but U+2028 and U+2029 are
/// always escaped by Go.
pub(crate) fn marshal<T: Serialize>(value: &T) -> Vec<u8> {
    let text = match serde_json::to_string(value) {
        Ok(text) => text,
        Err(error) => {
            tracing::error!(%error, "a response model failed to serialise");
            return b"null".to_vec();
        }
    };
    if text.contains(['\u{2028}', '\u{2029}']) {
        text.replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
            .into_bytes()
    } else {
        text.into_bytes()
    }
}

/// Go's `strconv.Quote`, as used by `%q` in go-openapi messages.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    push_quoted_chars(&mut out, text, '"');
    out.push('"');
    out
}

fn push_quoted_chars(out: &mut String, text: &str, quote: char) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Go's `quoteChar` from the JSON scanner: one byte shown in single quotes.
fn quote_byte(byte: u8) -> String {
    match byte {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            let mut out = String::from("'");
            push_quoted_chars(&mut out, &char::from(byte).to_string(), '"');
            out.push('\'');
            out
        }
    }
}

/// The kind of a JSON value as Go's `UnmarshalTypeError` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn go_name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "bool",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// A decoded JSON value, keeping only what the user models need: strings, booleans and the
/// members of the top-level object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number,
    String(String),
    Array,
    Object(Vec<(String, Value)>),
}

impl Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }
}

/// Why a body could not be decoded, as Go's `json.Decoder.Decode` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// Nothing but whitespace: go-swagger turns this into "… in body is required".
    Empty,
    /// Any other failure, with Go's error text.
    Invalid(String),
}

/// Go nests up to 10000 levels; this scanner recurses, so it stops earlier.
const MAX_DEPTH: usize = 1000;

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

type ScanResult<T> = Result<T, DecodeError>;

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn next_byte(&mut self) -> ScanResult<u8> {
        let byte = self.peek().ok_or_else(unexpected_eof)?;
        self.pos += 1;
        Ok(byte)
    }

    fn value(&mut self) -> ScanResult<Value> {
        self.skip_whitespace();
        let byte = self.next_byte()?;
        match byte {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number(byte).map(|()| Value::Number),
            b't' => self.literal(b"rue", "true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"alse", "false").map(|()| Value::Bool(false)),
            b'n' => self.literal(b"ull", "null").map(|()| Value::Null),
            other => Err(invalid(other, "looking for beginning of value")),
        }
    }

    fn enter(&mut self) -> ScanResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(DecodeError::Invalid("exceeded max depth".to_string()));
        }
        Ok(())
    }

    fn object(&mut self) -> ScanResult<Value> {
        self.enter()?;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            let byte = self.next_byte()?;
            if byte != b'"' {
                return Err(invalid(byte, "looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            let byte = self.next_byte()?;
            if byte != b':' {
                return Err(invalid(byte, "after object key"));
            }
            let value = self.value()?;
            members.push((key, value));
            self.skip_whitespace();
            match self.next_byte()? {
                b',' => continue,
                b'}' => break,
                other => return Err(invalid(other, "after object key:value pair")),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(members))
    }

    fn array(&mut self) -> ScanResult<Value> {
        self.enter()?;
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array);
        }
        loop {
            self.value()?;
            self.skip_whitespace();
            match self.next_byte()? {
                b',' => continue,
                b']' => break,
                other => return Err(invalid(other, "after array element")),
            }
        }
        self.depth -= 1;
        Ok(Value::Array)
    }

    /// Reads a string whose opening quote was consumed, decoding escapes the way Go does
    /// (lone surrogates and invalid UTF-8 become U+FFFD).
    fn string(&mut self) -> ScanResult<String> {
        let mut raw: Vec<u8> = Vec::new();
        loop {
            let byte = self.next_byte()?;
            match byte {
                b'"' => return Ok(String::from_utf8_lossy(&raw).into_owned()),
                b'\\' => {
                    let escape = self.next_byte()?;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        other => return Err(invalid(other, "in string escape code")),
                    };
                    let mut buffer = [0u8; 4];
                    raw.extend_from_slice(decoded.encode_utf8(&mut buffer).as_bytes());
                }
                byte if byte < 0x20 => return Err(invalid(byte, "in string literal")),
                byte => raw.push(byte),
            }
        }
    }

    fn hex4(&mut self) -> ScanResult<u32> {
        let mut code = 0u32;
        for _ in 0..4 {
            let byte = self.next_byte()?;
            let digit = char::from(byte)
                .to_digit(16)
                .ok_or_else(|| invalid(byte, "in \\u hexadecimal character escape"))?;
            code = code * 16 + digit;
        }
        Ok(code)
    }

    fn unicode_escape(&mut self) -> ScanResult<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first)
            && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u".as_slice())
        {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{fffd}'))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Scans a number whose first byte was consumed. At the end of input a number is complete,
    /// as Go's decoder treats end of stream as a delimiter.
    fn number(&mut self, first: u8) -> ScanResult<()> {
        let mut lead = first;
        if first == b'-' {
            lead = match self.peek() {
                Some(byte @ b'0'..=b'9') => {
                    self.pos += 1;
                    byte
                }
                Some(other) => return Err(invalid(other, "in numeric literal")),
                None => return Err(unexpected_eof()),
            };
        }
        if lead != b'0' {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            match self.peek() {
                Some(b'0'..=b'9') => self.digits(),
                Some(other) => {
                    return Err(invalid(other, "after decimal point in numeric literal"));
                }
                None => return Err(unexpected_eof()),
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            match self.peek() {
                Some(b'0'..=b'9') => self.digits(),
                Some(other) => return Err(invalid(other, "in exponent of numeric literal")),
                None => return Err(unexpected_eof()),
            }
        }
        Ok(())
    }

    fn literal(&mut self, rest: &[u8], word: &str) -> ScanResult<()> {
        for &expected in rest {
            let byte = self.next_byte()?;
            if byte != expected {
                let context = format!("in literal {word} (expecting {})", quote_byte(expected));
                return Err(invalid(byte, &context));
            }
        }
        Ok(())
    }
}

fn invalid(byte: u8, context: &str) -> DecodeError {
    DecodeError::Invalid(format!("invalid character {} {context}", quote_byte(byte)))
}

fn unexpected_eof() -> DecodeError {
    DecodeError::Invalid("unexpected EOF".to_string())
}

/// Decodes the first JSON value of `bytes` like Go's `json.Decoder.Decode`: leading whitespace
/// is skipped and anything after the first value is never read.
pub(crate) fn decode_first_value(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut scanner = Scanner {
        bytes,
        pos: 0,
        depth: 0,
    };
    scanner.skip_whitespace();
    if scanner.peek().is_none() {
        return Err(DecodeError::Empty);
    }
    scanner.value()
}

/// The Go type of one field of a request model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    String,
    Bool,
}

/// A request model: its Go type name and its fields' JSON names and types.
pub(crate) struct Model {
    pub(crate) go_name: &'static str,
    pub(crate) fields: &'static [(&'static str, FieldType)],
}

/// Field values decoded into a model, in the model's field order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decoded {
    pub(crate) strings: Vec<Option<String>>,
    pub(crate) bools: Vec<Option<bool>>,
}

impl Decoded {
    /// The string field at `index`, or "" when it was absent (Go's zero value).
    pub(crate) fn string(&self, index: usize) -> String {
        self.strings
            .get(index)
            .cloned()
            .flatten()
            .unwrap_or_default()
    }

    /// The boolean field at `index`, or false when it was absent.
    pub(crate) fn bool(&self, index: usize) -> bool {
        self.bools.get(index).copied().flatten().unwrap_or(false)
    }
}

/// Assigns a decoded value to a model like Go's `Unmarshal` into a struct: keys match field
/// names exactly or case-insensitively, unknown keys are ignored, `null` leaves a field alone,
/// and the first type mismatch is reported after the whole value is read.
pub(crate) fn unmarshal(value: &Value, model: &Model) -> Result<Decoded, String> {
    let mut decoded = Decoded {
        strings: vec![None; model.fields.len()],
        bools: vec![None; model.fields.len()],
    };
    let members = match value {
        Value::Null => return Ok(decoded),
        Value::Object(members) => members,
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type models.{}",
                other.kind().go_name(),
                model.go_name
            ));
        }
    };
    let mut first_error = None;
    for (key, member) in members {
        let Some(index) = field_index(model, key) else {
            continue;
        };
        let (name, field_type) = model.fields[index];
        match (field_type, member) {
            (_, Value::Null) => {}
            (FieldType::String, Value::String(text)) => decoded.strings[index] = Some(text.clone()),
            (FieldType::Bool, Value::Bool(flag)) => decoded.bools[index] = Some(*flag),
            (_, other) => {
                let go_type = match field_type {
                    FieldType::String => "string",
                    FieldType::Bool => "bool",
                };
                first_error.get_or_insert_with(|| {
                    format!(
                        "json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                        other.kind().go_name(),
                        model.go_name,
                        name,
                        go_type
                    )
                });
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(decoded),
    }
}

fn field_index(model: &Model, key: &str) -> Option<usize> {
    model
        .fields
        .iter()
        .position(|(name, _)| *name == key)
        .or_else(|| {
            let folded = key.to_lowercase();
            model
                .fields
                .iter()
                .position(|(name, _)| name.to_lowercase() == folded)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(body: &str) -> String {
        match decode_first_value(body.as_bytes()) {
            Err(DecodeError::Invalid(message)) => message,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_read_like_go() {
        assert_eq!(
            error_of("abc"),
            "invalid character 'a' looking for beginning of value"
        );
        assert_eq!(error_of("{\"a\""), "unexpected EOF");
        assert_eq!(
            error_of("{\"a\" 1}"),
            "invalid character '1' after object key"
        );
        assert_eq!(
            error_of("{\"a\":1 \"b\"}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(
            error_of("{'a':1}"),
            "invalid character '\\'' looking for beginning of object key string"
        );
        assert_eq!(
            error_of("[1 2]"),
            "invalid character '2' after array element"
        );
        assert_eq!(
            error_of("{\"a\":tru}"),
            "invalid character '}' in literal true (expecting 'e')"
        );
        assert_eq!(
            error_of("\"a\nb\""),
            "invalid character '\\n' in string literal"
        );
        assert_eq!(error_of("-x"), "invalid character 'x' in numeric literal");
    }

    #[test]
    fn only_the_first_value_is_read() {
        assert_eq!(
            decode_first_value(b" {} trailing"),
            Ok(Value::Object(vec![]))
        );
        assert_eq!(decode_first_value(b" \n "), Err(DecodeError::Empty));
    }

    #[test]
    fn type_mismatches_name_the_go_field() {
        let model = Model {
            go_name: "UserProfile",
            fields: &[("email", FieldType::String)],
        };
        let value = decode_first_value(br#"{"EMAIL": 5}"#).unwrap_or(Value::Null);
        assert_eq!(
            unmarshal(&value, &model),
            Err(
                "json: cannot unmarshal number into Go struct field UserProfile.email of type string"
                    .to_string()
            )
        );
    }

    #[test]
    fn go_quote_escapes_like_strconv() {
        assert_eq!(go_quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(go_quote("é\u{1}"), "\"é\\x01\"");
    }
}
