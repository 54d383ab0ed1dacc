//! Changes made to the converted OpenAPI document before it is committed.
//!
//! Each patch fixes one way in which Harbor's description, taken literally,
//! would give a generated client that does not build or does not work. Each
//! one is a function from document to document that reports what it changed,
//! so that `spec/README.md` can list the changes, and each is idempotent.

use serde_json::{Map, Value, json};

/// What one patch did to the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Short name of the patch.
    pub name: &'static str,
    /// Why the patch exists.
    pub why: &'static str,
    /// One line per place the patch changed, in document order.
    pub changes: Vec<String>,
}

/// Applies every patch in order and reports what each one changed.
pub fn apply_all(doc: &mut Value) -> Vec<Applied> {
    vec![
        one_error_type_per_operation(doc),
        remove_request_id_parameter(doc),
        nullable_arrays_and_maps(doc),
        widen_int_format(doc),
    ]
}

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// Visits every operation as `(path, method, operation)`.
fn for_each_operation(doc: &mut Value, mut visit: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(operation) = operation.as_object_mut() {
                visit(path, method, operation);
            }
        }
    }
}

fn operation_id(operation: &Map<String, Value>) -> &str {
    operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>")
}

/// Follows `#/components/<kind>/<name>` references.
fn resolve<'v>(components: &'v Value, value: &'v Value, kind: &str) -> &'v Value {
    let prefix = format!("#/components/{kind}/");
    match value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(&prefix))
    {
        Some(name) => components
            .get(kind)
            .and_then(|k| k.get(name))
            .unwrap_or(value),
        None => value,
    }
}

/// Patch 1: progenitor accepts one error type per operation and panics
/// (`response_types.len() <= 1`) when an operation declares error responses
/// both with and without a body, or with bodies of different schemas. The
/// error body shared by most of the operation's error responses is kept and
/// the other error responses are dropped: the generated client then reports
/// them as unexpected responses, which still carry the status and the body.
pub fn one_error_type_per_operation(doc: &mut Value) -> Applied {
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    let mut changes = Vec::new();
    for_each_operation(doc, |_, _, operation| {
        let id = operation_id(operation).to_string();
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        let is_error = |code: &str| code == "default" || code.starts_with(['4', '5']);
        // The body's schema (as text, to compare), or None for no body.
        let body_of = |response: &Value| {
            resolve(&components, response, "responses")
                .get("content")
                .map(|content| content.to_string())
        };
        let errors: Vec<(String, Option<String>)> = responses
            .iter()
            .filter(|(code, _)| is_error(code))
            .map(|(code, response)| (code.clone(), body_of(response)))
            .collect();
        let mut kinds: Vec<(&Option<String>, usize)> = Vec::new();
        for (_, body) in &errors {
            match kinds.iter_mut().find(|(kind, _)| *kind == body) {
                Some((_, count)) => *count += 1,
                None => kinds.push((body, 1)),
            }
        }
        if kinds.len() <= 1 {
            return;
        }
        // The most common body wins; a body beats no body; the first seen
        // wins a remaining tie, which keeps the result deterministic.
        let keep = kinds
            .iter()
            .enumerate()
            .max_by_key(|(index, (kind, count))| (kind.is_some(), *count, usize::MAX - index))
            .map(|(_, (kind, _))| (*kind).clone())
            .unwrap_or_default();
        for (code, body) in errors {
            if body != keep {
                responses.shift_remove(&code);
                let what = if body.is_none() {
                    "bodiless"
                } else {
                    "differently typed"
                };
                changes.push(format!("{id}: dropped {what} {code}"));
            }
        }
    });
    Applied {
        name: "one error type per operation",
        why: "progenitor panics when one operation mixes error responses with and \
              without a body, or with different bodies; the dropped responses still \
              reach the caller as unexpected responses with status and body",
        changes,
    }
}

/// Patch 2: every operation declares an optional `X-Request-Id` header with
/// `minLength: 1`, for which typify emits one newtype per operation (about
/// 40% of the generated code). The parameter is removed from the generated
/// surface; the client's hooks send the header on every request instead.
pub fn remove_request_id_parameter(doc: &mut Value) -> Applied {
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    let is_request_id = |parameter: &Value| {
        let parameter = resolve(&components, parameter, "parameters");
        parameter.get("in").and_then(Value::as_str) == Some("header")
            && parameter
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("X-Request-Id"))
    };
    let mut removed_from = 0usize;
    for_each_operation(doc, |_, _, operation| {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        let before = parameters.len();
        parameters.retain(|p| !is_request_id(p));
        if parameters.len() != before {
            removed_from += 1;
        }
        if parameters.is_empty() {
            operation.remove("parameters");
        }
    });

    let mut changes = Vec::new();
    if removed_from > 0 {
        changes.push(format!("removed from {removed_from} operations"));
    }
    if let Some(shared) = doc
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        let names: Vec<String> = shared
            .iter()
            .filter(|(_, p)| {
                p.get("in").and_then(Value::as_str) == Some("header")
                    && p.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("X-Request-Id"))
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in names {
            shared.shift_remove(&name);
            changes.push(format!("removed shared parameter `{name}`"));
        }
    }
    Applied {
        name: "send X-Request-Id from one place",
        why: "the optional header on all operations makes typify emit one newtype per \
              operation; the client hooks send a fresh or caller-chosen id instead",
        changes,
    }
}

fn is_array_or_map(schema: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => true,
        Some("object") => {
            schema.get("properties").is_none()
                && schema
                    .get("additionalProperties")
                    .is_some_and(|a| a != &Value::Bool(false))
        }
        _ => false,
    }
}

/// Marks every array or map property (at any depth) nullable.
fn mark_nullable(schema: &mut Value, at: &str, changes: &mut Vec<String>) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            let property_at = format!("{at}.{name}");
            if is_array_or_map(property)
                && property.get("nullable") != Some(&json!(true))
                && let Some(map) = property.as_object_mut()
            {
                map.insert("nullable".into(), json!(true));
                changes.push(property_at.clone());
            }
            mark_nullable(property, &property_at, changes);
        }
    }
    if let Some(items) = schema.get_mut("items") {
        mark_nullable(items, &format!("{at}[]"), changes);
    }
    if let Some(values) = schema.get_mut("additionalProperties")
        && values.is_object()
    {
        mark_nullable(values, &format!("{at}{{}}"), changes);
    }
}

/// Patch 3: Harbor is written in Go, which encodes an empty slice or map as
/// `null`. Generated `Vec` and `HashMap` fields reject `null`, so every array
/// and map property becomes nullable (an `Option` in Rust).
pub fn nullable_arrays_and_maps(doc: &mut Value) -> Applied {
    let mut changes = Vec::new();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            mark_nullable(schema, name, &mut changes);
        }
    }
    Applied {
        name: "nullable arrays and maps",
        why: "Go encodes empty slices and maps as null, which Vec and HashMap fields reject",
        changes,
    }
}

/// Rewrites `format: int` to `int64` wherever it stands.
fn widen(value: &mut Value, at: &str, changes: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let is_integer = map.get("type").and_then(Value::as_str) == Some("integer");
            if is_integer && map.get("format").and_then(Value::as_str) == Some("int") {
                map.insert("format".into(), json!("int64"));
                changes.push(at.to_string());
            }
            for (key, child) in map.iter_mut() {
                widen(
                    child,
                    &format!("{at}/{}", crate::swagger::escape_pointer(key)),
                    changes,
                );
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                widen(child, &format!("{at}/{index}"), changes);
            }
        }
        _ => {}
    }
}

/// Patch 4: progenitor maps `format: int` to `i32`, but go-swagger maps it to
/// Go's `int64`, and Harbor's ids are `int64`. The format becomes `int64`.
pub fn widen_int_format(doc: &mut Value) -> Applied {
    let mut changes = Vec::new();
    widen(doc, "#", &mut changes);
    Applied {
        name: "format int is int64",
        why: "go-swagger maps `format: int` to Go's int64 (Harbor's ids); progenitor would use i32",
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_with(operation: Value) -> Value {
        json!({
            "paths": { "/users/{id}/password": { "put": operation } },
            "components": {
                "responses": {
                    "401": { "description": "", "content": { "application/json": {} } },
                    "500": { "description": "", "content": { "application/json": {} } }
                },
                "parameters": {
                    "requestId": { "name": "X-Request-Id", "in": "header", "schema": {} },
                    "page": { "name": "page", "in": "query", "schema": {} }
                },
                "schemas": {}
            }
        })
    }

    #[test]
    fn bodiless_error_responses_are_dropped_only_where_bodies_are_mixed() {
        let mut doc = doc_with(json!({
            "operationId": "updateUserPassword",
            "responses": {
                "200": { "description": "" },
                "400": { "description": "" },
                "401": { "$ref": "#/components/responses/401" },
                "403": { "description": "" },
                "500": { "$ref": "#/components/responses/500" }
            }
        }));
        let applied = one_error_type_per_operation(&mut doc);
        assert_eq!(
            applied.changes,
            [
                "updateUserPassword: dropped bodiless 400",
                "updateUserPassword: dropped bodiless 403"
            ]
        );
        let codes: Vec<_> = doc["paths"]["/users/{id}/password"]["put"]["responses"]
            .as_object()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(codes, ["200", "401", "500"]);

        let again = one_error_type_per_operation(&mut doc);
        assert!(again.changes.is_empty(), "the patch is idempotent");
    }

    #[test]
    fn an_error_body_of_another_schema_is_dropped_in_favour_of_the_common_one() {
        let mut doc = doc_with(json!({
            "operationId": "importLdapUser",
            "responses": {
                "200": { "description": "" },
                "401": { "$ref": "#/components/responses/401" },
                "404": { "description": "", "content": { "application/json": {
                    "schema": { "type": "array" } } } },
                "500": { "$ref": "#/components/responses/500" }
            }
        }));
        let applied = one_error_type_per_operation(&mut doc);
        assert_eq!(
            applied.changes,
            ["importLdapUser: dropped differently typed 404"]
        );
    }

    #[test]
    fn operations_whose_errors_all_lack_a_body_are_left_alone() {
        let mut doc = doc_with(json!({
            "operationId": "getPing",
            "responses": { "200": { "description": "" }, "404": { "description": "" } }
        }));
        let applied = one_error_type_per_operation(&mut doc);
        assert!(applied.changes.is_empty());
    }

    #[test]
    fn request_id_parameter_is_removed_from_operations_and_components() {
        let mut doc = doc_with(json!({
            "operationId": "listUsers",
            "parameters": [
                { "$ref": "#/components/parameters/requestId" },
                { "$ref": "#/components/parameters/page" },
                { "name": "x-request-id", "in": "header", "schema": {} }
            ],
            "responses": {}
        }));
        let applied = remove_request_id_parameter(&mut doc);
        assert_eq!(
            applied.changes,
            [
                "removed from 1 operations",
                "removed shared parameter `requestId`"
            ]
        );
        assert_eq!(
            doc["paths"]["/users/{id}/password"]["put"]["parameters"],
            json!([{ "$ref": "#/components/parameters/page" }])
        );
        assert!(doc.pointer("/components/parameters/requestId").is_none());
    }

    #[test]
    fn array_and_map_properties_become_nullable_at_any_depth() {
        let mut doc = json!({ "components": { "schemas": {
            "User": {
                "type": "object",
                "properties": {
                    "name": { "type": "string" },
                    "groups": { "type": "array", "items": { "type": "string" } },
                    "labels": { "type": "object", "additionalProperties": { "type": "string" } },
                    "nested": {
                        "type": "object",
                        "properties": { "ids": { "type": "array", "items": { "type": "integer" } } }
                    },
                    "meta": { "$ref": "#/components/schemas/Meta" }
                }
            }
        } } });
        let applied = nullable_arrays_and_maps(&mut doc);
        assert_eq!(
            applied.changes,
            ["User.groups", "User.labels", "User.nested.ids"]
        );
        let user = &doc["components"]["schemas"]["User"]["properties"];
        assert_eq!(user["groups"]["nullable"], true);
        assert_eq!(user["labels"]["nullable"], true);
        assert_eq!(user["nested"]["properties"]["ids"]["nullable"], true);
        assert!(user["name"].get("nullable").is_none());
        assert!(user["nested"].get("nullable").is_none());
        assert!(user["meta"].get("nullable").is_none());
    }

    #[test]
    fn format_int_becomes_int64_everywhere() {
        let mut doc = json!({
            "paths": { "/u/{id}": { "get": { "parameters": [
                { "name": "id", "in": "path", "schema": { "type": "integer", "format": "int" } }
            ] } } },
            "components": { "schemas": { "U": { "type": "object", "properties": {
                "id": { "type": "integer", "format": "int" },
                "small": { "type": "integer", "format": "int32" }
            } } } }
        });
        let applied = widen_int_format(&mut doc);
        assert_eq!(applied.changes.len(), 2);
        assert_eq!(
            doc["components"]["schemas"]["U"]["properties"]["id"]["format"],
            "int64"
        );
        assert_eq!(
            doc["components"]["schemas"]["U"]["properties"]["small"]["format"],
            "int32"
        );
        assert_eq!(
            doc["paths"]["/u/{id}"]["get"]["parameters"][0]["schema"]["format"],
            "int64"
        );
    }
}
