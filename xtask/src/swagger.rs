//! Converts the subset of Swagger 2.0 that Harbor's API description uses into
//! an OpenAPI 3.0.3 document.
//!
//! Only the interface is carried over: paths, operations, parameters, request
//! and response bodies, headers and schemas. Prose (`summary`, `description`,
//! `example`, `info.description`) is dropped on purpose, so that the derived
//! document holds none of Harbor's text.
//!
//! The converter knows exactly which keys it understands at every level. Any
//! other key is an error that names the construct and where it stands (as a
//! JSON pointer), so that a new Harbor release using more of Swagger fails
//! loudly instead of producing a silently wrong client.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value, json};

/// HTTP methods Swagger 2.0 allows on a path item.
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// Keys that carry prose, accepted everywhere and never copied.
const PROSE: &[&str] = &["description", "summary", "example", "x-example"];

/// Converts a parsed Swagger 2.0 document into an OpenAPI 3.0.3 document.
pub fn convert(swagger: &Value) -> Result<Value> {
    let root = object(swagger, "#")?;
    allow_keys(
        root,
        "#",
        &[
            "swagger",
            "info",
            "host",
            "schemes",
            "basePath",
            "produces",
            "consumes",
            "securityDefinitions",
            "security",
            "paths",
            "parameters",
            "responses",
            "definitions",
        ],
    )?;
    match root.get("swagger") {
        Some(Value::String(v)) if v == "2.0" => {}
        other => bail!("#/swagger: expected \"2.0\", found {}", show(other)),
    }

    let context = Document::new(root)?;
    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.3"));
    out.insert("info".into(), convert_info(root.get("info"))?);
    if let Some(base) = root.get("basePath") {
        let base = string(base, "#/basePath")?;
        out.insert("servers".into(), json!([{ "url": base }]));
    }
    out.insert("paths".into(), context.convert_paths()?);
    out.insert("components".into(), context.convert_components()?);
    if let Some(security) = root.get("security") {
        out.insert("security".into(), security.clone());
    }
    Ok(Value::Object(out))
}

/// What every part of the conversion needs to know about the whole document.
struct Document<'a> {
    root: &'a Map<String, Value>,
    /// The document-wide `produces`, used where an operation names none.
    produces: Vec<String>,
}

impl<'a> Document<'a> {
    fn new(root: &'a Map<String, Value>) -> Result<Self> {
        let produces = media_types(root.get("produces"), "#/produces")?
            .unwrap_or_else(|| vec!["application/json".to_string()]);
        let consumes = media_types(root.get("consumes"), "#/consumes")?;
        if let Some(consumes) = consumes
            && consumes != ["application/json"]
        {
            bail!("#/consumes: only application/json is supported, found {consumes:?}");
        }
        Ok(Self { root, produces })
    }

    fn convert_paths(&self) -> Result<Value> {
        let paths = object_or_empty(self.root.get("paths"), "#/paths")?;
        let mut out = Map::new();
        for (path, item) in paths {
            let at = format!("#/paths/{}", escape_pointer(path));
            let item = object(item, &at)?;
            let mut converted = Map::new();
            for (method, operation) in item {
                if !METHODS.contains(&method.as_str()) {
                    bail!("{at}: unsupported Swagger 2.0 construct `{method}` in a path item");
                }
                let op_at = format!("{at}/{method}");
                converted.insert(method.clone(), self.convert_operation(operation, &op_at)?);
            }
            out.insert(path.clone(), Value::Object(converted));
        }
        Ok(Value::Object(out))
    }

    fn convert_operation(&self, operation: &Value, at: &str) -> Result<Value> {
        let operation = object(operation, at)?;
        allow_keys(
            operation,
            at,
            &[
                "operationId",
                "tags",
                "deprecated",
                "parameters",
                "responses",
                "produces",
            ],
        )?;
        let mut out = Map::new();
        let id = operation
            .get("operationId")
            .ok_or_else(|| anyhow!("{at}: every operation needs an operationId"))?;
        out.insert(
            "operationId".into(),
            json!(string(id, &format!("{at}/operationId"))?),
        );
        if let Some(tags) = operation.get("tags") {
            out.insert("tags".into(), tags.clone());
        }
        if let Some(deprecated) = operation.get("deprecated") {
            out.insert("deprecated".into(), deprecated.clone());
        }

        let mut parameters = Vec::new();
        let mut body = None;
        for (index, parameter) in array_or_empty(operation.get("parameters"), at)?
            .iter()
            .enumerate()
        {
            let param_at = format!("{at}/parameters/{index}");
            match self.convert_operation_parameter(parameter, &param_at)? {
                Converted::Parameter(p) => parameters.push(p),
                Converted::Body(b) => {
                    if body.replace(b).is_some() {
                        bail!("{param_at}: an operation may have only one body parameter");
                    }
                }
            }
        }
        if !parameters.is_empty() {
            out.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(body) = body {
            out.insert("requestBody".into(), body);
        }

        let produces = media_types(operation.get("produces"), &format!("{at}/produces"))?
            .unwrap_or_else(|| self.produces.clone());
        let responses_at = format!("{at}/responses");
        let responses = object(
            operation
                .get("responses")
                .ok_or_else(|| anyhow!("{at}: every operation needs responses"))?,
            &responses_at,
        )?;
        let mut converted = Map::new();
        for (code, response) in responses {
            let response_at = format!("{responses_at}/{code}");
            converted.insert(
                code.clone(),
                convert_response(response, &produces, &response_at)?,
            );
        }
        out.insert("responses".into(), Value::Object(converted));
        Ok(Value::Object(out))
    }

    /// An operation's parameter: a `$ref` to a shared one stays a reference,
    /// unless it is a body parameter, which OpenAPI 3 turns into a request
    /// body and so has to be inlined.
    fn convert_operation_parameter(&self, parameter: &Value, at: &str) -> Result<Converted> {
        let map = object(parameter, at)?;
        if let Some(reference) = map.get("$ref") {
            allow_keys(map, at, &["$ref"])?;
            let reference = string(reference, &format!("{at}/$ref"))?;
            let name = reference.strip_prefix("#/parameters/").ok_or_else(|| {
                anyhow!("{at}: unsupported reference `{reference}` (expected #/parameters/NAME)")
            })?;
            let target = self
                .root
                .get("parameters")
                .and_then(|p| p.get(name))
                .ok_or_else(|| anyhow!("{at}: `{reference}` points at nothing"))?;
            if target.get("in").and_then(Value::as_str) == Some("body") {
                return convert_parameter(target, &format!("#/parameters/{name}"));
            }
            return Ok(Converted::Parameter(
                json!({ "$ref": format!("#/components/parameters/{name}") }),
            ));
        }
        convert_parameter(parameter, at)
    }

    fn convert_components(&self) -> Result<Value> {
        let mut out = Map::new();

        let mut schemas = Map::new();
        for (name, schema) in object_or_empty(self.root.get("definitions"), "#/definitions")? {
            let at = format!("#/definitions/{}", escape_pointer(name));
            schemas.insert(name.clone(), convert_schema(schema, &at)?);
        }
        out.insert("schemas".into(), Value::Object(schemas));

        let mut responses = Map::new();
        for (name, response) in object_or_empty(self.root.get("responses"), "#/responses")? {
            let at = format!("#/responses/{}", escape_pointer(name));
            responses.insert(
                name.clone(),
                convert_response(response, &self.produces, &at)?,
            );
        }
        out.insert("responses".into(), Value::Object(responses));

        let mut parameters = Map::new();
        for (name, parameter) in object_or_empty(self.root.get("parameters"), "#/parameters")? {
            let at = format!("#/parameters/{}", escape_pointer(name));
            // Body parameters are inlined where they are used.
            if let Converted::Parameter(p) = convert_parameter(parameter, &at)? {
                parameters.insert(name.clone(), p);
            }
        }
        out.insert("parameters".into(), Value::Object(parameters));

        let mut schemes = Map::new();
        let definitions = object_or_empty(
            self.root.get("securityDefinitions"),
            "#/securityDefinitions",
        )?;
        for (name, definition) in definitions {
            let at = format!("#/securityDefinitions/{}", escape_pointer(name));
            let map = object(definition, &at)?;
            allow_keys(map, &at, &["type"])?;
            match map.get("type").and_then(Value::as_str) {
                Some("basic") => {
                    schemes.insert(name.clone(), json!({ "type": "http", "scheme": "basic" }));
                }
                other => bail!(
                    "{at}: unsupported security scheme type {} (only basic is supported)",
                    show(other.map(|s| Value::String(s.into())).as_ref())
                ),
            }
        }
        out.insert("securitySchemes".into(), Value::Object(schemes));
        Ok(Value::Object(out))
    }
}

/// A Swagger parameter becomes either an OpenAPI parameter or a request body.
enum Converted {
    Parameter(Value),
    Body(Value),
}

fn convert_info(info: Option<&Value>) -> Result<Value> {
    let info = object(info.ok_or_else(|| anyhow!("#/info is missing"))?, "#/info")?;
    allow_keys(info, "#/info", &["title", "version"])?;
    let title = string(
        info.get("title")
            .ok_or_else(|| anyhow!("#/info/title is missing"))?,
        "#/info/title",
    )?;
    let version = string(
        info.get("version")
            .ok_or_else(|| anyhow!("#/info/version is missing"))?,
        "#/info/version",
    )?;
    Ok(json!({ "title": title, "version": version }))
}

fn convert_parameter(parameter: &Value, at: &str) -> Result<Converted> {
    let map = object(parameter, at)?;
    let location = string(
        map.get("in")
            .ok_or_else(|| anyhow!("{at}: parameter without `in`"))?,
        &format!("{at}/in"),
    )?;
    let name = string(
        map.get("name")
            .ok_or_else(|| anyhow!("{at}: parameter without `name`"))?,
        &format!("{at}/name"),
    )?;
    let required = match map.get("required") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => bail!("{at}/required: expected a boolean, found {other}"),
    };

    if location == "body" {
        allow_keys(map, at, &["name", "in", "required", "schema"])?;
        let schema = map
            .get("schema")
            .ok_or_else(|| anyhow!("{at}: body parameter without `schema`"))?;
        let schema = convert_schema(schema, &format!("{at}/schema"))?;
        let mut body = Map::new();
        body.insert(
            "content".into(),
            json!({ "application/json": { "schema": schema } }),
        );
        body.insert("required".into(), json!(required));
        // Swagger's name for the body: Harbor's validation messages use it.
        body.insert("x-body-name".into(), json!(name));
        return Ok(Converted::Body(Value::Object(body)));
    }

    if !matches!(location, "query" | "path" | "header") {
        bail!("{at}: unsupported Swagger 2.0 construct: parameter `in: {location}`");
    }
    allow_keys(
        map,
        at,
        &[
            "name",
            "in",
            "required",
            "type",
            "format",
            "default",
            "enum",
            "items",
            "maximum",
            "minimum",
            "maxLength",
            "minLength",
            "collectionFormat",
        ],
    )?;
    let mut schema = Map::new();
    for key in [
        "type",
        "format",
        "default",
        "enum",
        "maximum",
        "minimum",
        "maxLength",
        "minLength",
    ] {
        if let Some(value) = map.get(key) {
            schema.insert(key.into(), value.clone());
        }
    }
    if schema.get("type").and_then(Value::as_str) == Some("file") {
        bail!("{at}: unsupported Swagger 2.0 construct: `type: file` parameter");
    }
    if let Some(items) = map.get("items") {
        schema.insert(
            "items".into(),
            convert_schema(items, &format!("{at}/items"))?,
        );
    }
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    out.insert("in".into(), json!(location));
    out.insert("required".into(), json!(required || location == "path"));
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        let (style, explode) = match map.get("collectionFormat").and_then(Value::as_str) {
            None | Some("csv") => ("form", false),
            Some("multi") => ("form", true),
            Some(other) => {
                bail!("{at}: unsupported Swagger 2.0 construct: collectionFormat `{other}`")
            }
        };
        out.insert("style".into(), json!(style));
        out.insert("explode".into(), json!(explode));
    } else if map.contains_key("collectionFormat") {
        bail!("{at}: `collectionFormat` on a parameter that is not an array");
    }
    out.insert("schema".into(), Value::Object(schema));
    Ok(Converted::Parameter(Value::Object(out)))
}

fn convert_response(response: &Value, produces: &[String], at: &str) -> Result<Value> {
    let map = object(response, at)?;
    if let Some(reference) = map.get("$ref") {
        allow_keys(map, at, &["$ref"])?;
        let reference = string(reference, &format!("{at}/$ref"))?;
        let name = reference.strip_prefix("#/responses/").ok_or_else(|| {
            anyhow!("{at}: unsupported reference `{reference}` (expected #/responses/NAME)")
        })?;
        return Ok(json!({ "$ref": format!("#/components/responses/{name}") }));
    }
    allow_keys(map, at, &["schema", "headers"])?;

    let mut out = Map::new();
    // OpenAPI 3 requires a description; Harbor's wording is not carried over.
    out.insert("description".into(), json!(""));
    if let Some(headers) = map.get("headers") {
        let headers_at = format!("{at}/headers");
        let mut converted = Map::new();
        for (name, header) in object(headers, &headers_at)? {
            let header_at = format!("{headers_at}/{}", escape_pointer(name));
            let header = object(header, &header_at)?;
            allow_keys(header, &header_at, &["type", "format"])?;
            let mut schema = Map::new();
            for key in ["type", "format"] {
                if let Some(value) = header.get(key) {
                    schema.insert(key.into(), value.clone());
                }
            }
            converted.insert(name.clone(), json!({ "schema": schema }));
        }
        out.insert("headers".into(), Value::Object(converted));
    }
    if let Some(schema) = map.get("schema") {
        let schema = convert_schema(schema, &format!("{at}/schema"))?;
        let mut content = Map::new();
        for media in produces {
            content.insert(media.clone(), json!({ "schema": schema }));
        }
        out.insert("content".into(), Value::Object(content));
    }
    Ok(Value::Object(out))
}

/// Keys that may stand beside a `$ref` in Harbor's schemas. Swagger 2.0 and
/// OpenAPI 3.0 both ignore the siblings of a reference, so they are dropped.
const REF_SIBLINGS: &[&str] = &[
    "description",
    "x-nullable",
    "x-isnullable",
    "x-omitempty",
    "type",
];

fn convert_schema(schema: &Value, at: &str) -> Result<Value> {
    let map = object(schema, at)?;
    if let Some(reference) = map.get("$ref") {
        for key in map.keys() {
            if key != "$ref" && !REF_SIBLINGS.contains(&key.as_str()) {
                bail!("{at}: unsupported Swagger 2.0 construct `{key}` beside `$ref`");
            }
        }
        let reference = string(reference, &format!("{at}/$ref"))?;
        let name = reference.strip_prefix("#/definitions/").ok_or_else(|| {
            anyhow!("{at}: unsupported reference `{reference}` (expected #/definitions/NAME)")
        })?;
        return Ok(json!({ "$ref": format!("#/components/schemas/{name}") }));
    }
    allow_keys(
        map,
        at,
        &[
            "type",
            "format",
            "properties",
            "items",
            "additionalProperties",
            "required",
            "readOnly",
            "enum",
            "default",
            "maxLength",
            "minLength",
            "maximum",
            "minimum",
            "x-nullable",
            "x-isnullable",
            "x-omitempty",
        ],
    )?;

    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "type" if value == "file" => {
                // A downloaded file: OpenAPI 3 spells it as a binary string.
                out.insert("type".into(), json!("string"));
                out.insert("format".into(), json!("binary"));
            }
            "type" | "format" | "required" | "readOnly" | "enum" | "default" | "maxLength"
            | "minLength" | "maximum" | "minimum" => {
                out.entry(key.clone()).or_insert_with(|| value.clone());
            }
            "properties" => {
                let props_at = format!("{at}/properties");
                let mut converted = Map::new();
                for (name, property) in object(value, &props_at)? {
                    let prop_at = format!("{props_at}/{}", escape_pointer(name));
                    converted.insert(name.clone(), convert_schema(property, &prop_at)?);
                }
                out.insert("properties".into(), Value::Object(converted));
            }
            "items" => {
                out.insert(
                    "items".into(),
                    convert_schema(value, &format!("{at}/items"))?,
                );
            }
            "additionalProperties" => {
                let converted = match value {
                    Value::Bool(b) => Value::Bool(*b),
                    other => convert_schema(other, &format!("{at}/additionalProperties"))?,
                };
                out.insert("additionalProperties".into(), converted);
            }
            // go-swagger spells nullability two ways; OpenAPI 3.0 has one.
            "x-nullable" | "x-isnullable" if value == &Value::Bool(true) => {
                out.insert("nullable".into(), json!(true));
            }
            // A go-swagger server setting with no meaning for a client.
            "x-omitempty" => {}
            _ => {}
        }
    }
    Ok(Value::Object(out))
}

fn media_types(value: Option<&Value>, at: &str) -> Result<Option<Vec<String>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let list = value
        .as_array()
        .ok_or_else(|| anyhow!("{at}: expected a list of media types, found {value}"))?;
    list.iter()
        .enumerate()
        .map(|(i, v)| string(v, &format!("{at}/{i}")).map(str::to_string))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn allow_keys(map: &Map<String, Value>, at: &str, allowed: &[&str]) -> Result<()> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) && !PROSE.contains(&key.as_str()) {
            bail!("{at}: unsupported Swagger 2.0 construct `{key}`");
        }
    }
    Ok(())
}

fn object<'v>(value: &'v Value, at: &str) -> Result<&'v Map<String, Value>> {
    value
        .as_object()
        .with_context(|| format!("{at}: expected an object, found {}", kind(value)))
}

fn object_or_empty<'v>(value: Option<&'v Value>, at: &str) -> Result<&'v Map<String, Value>> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match value {
        Some(value) => object(value, at),
        None => Ok(EMPTY.get_or_init(Map::new)),
    }
}

fn array_or_empty<'v>(value: Option<&'v Value>, at: &str) -> Result<&'v [Value]> {
    match value {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => bail!("{at}: expected a list, found {}", kind(other)),
    }
}

fn string<'v>(value: &'v Value, at: &str) -> Result<&'v str> {
    value
        .as_str()
        .with_context(|| format!("{at}: expected a string, found {}", kind(value)))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_string(), Value::to_string)
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(paths: Value) -> Value {
        json!({
            "swagger": "2.0",
            "info": { "title": "T", "version": "2.0", "description": "prose" },
            "basePath": "/api/v2.0",
            "produces": ["application/json"],
            "consumes": ["application/json"],
            "securityDefinitions": { "basic": { "type": "basic" } },
            "security": [{ "basic": [] }, {}],
            "paths": paths,
            "parameters": {
                "requestId": {
                    "name": "X-Request-Id", "in": "header", "type": "string",
                    "required": false, "minLength": 1, "description": "prose"
                }
            },
            "responses": {
                "404": { "description": "prose", "schema": { "$ref": "#/definitions/Errors" } }
            },
            "definitions": {
                "Errors": {
                    "type": "object",
                    "properties": { "errors": { "type": "array", "items": { "type": "string" } } }
                }
            }
        })
    }

    #[test]
    fn a_minimal_document_converts_without_prose() {
        let doc = minimal(json!({
            "/users/{user_id}": {
                "put": {
                    "operationId": "updateUser",
                    "summary": "prose",
                    "tags": ["user"],
                    "parameters": [
                        { "$ref": "#/parameters/requestId" },
                        { "name": "user_id", "in": "path", "type": "integer", "format": "int",
                          "required": true, "description": "prose" },
                        { "name": "profile", "in": "body", "required": true,
                          "schema": { "$ref": "#/definitions/Errors" } }
                    ],
                    "responses": {
                        "200": { "description": "prose" },
                        "404": { "$ref": "#/responses/404" }
                    }
                }
            }
        }));
        let out = convert(&doc).expect("converts");
        let text = out.to_string();
        assert!(!text.contains("prose"), "prose leaked: {text}");
        assert_eq!(out["openapi"], "3.0.3");
        assert_eq!(out["servers"][0]["url"], "/api/v2.0");
        let op = &out["paths"]["/users/{user_id}"]["put"];
        assert_eq!(
            op["parameters"][0]["$ref"],
            "#/components/parameters/requestId"
        );
        assert_eq!(op["parameters"][1]["schema"]["format"], "int");
        assert_eq!(op["requestBody"]["x-body-name"], "profile");
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Errors"
        );
        assert_eq!(op["responses"]["404"]["$ref"], "#/components/responses/404");
        assert_eq!(
            out["components"]["securitySchemes"]["basic"],
            json!({ "type": "http", "scheme": "basic" })
        );
        assert_eq!(
            out["components"]["parameters"]["requestId"]["schema"]["minLength"],
            1
        );
    }

    #[test]
    fn text_operations_keep_their_media_type_and_files_become_binary() {
        let doc = minimal(json!({
            "/log": { "get": {
                "operationId": "getLog",
                "produces": ["text/plain"],
                "responses": { "200": { "description": "", "schema": { "type": "file" } } }
            } }
        }));
        let out = convert(&doc).expect("converts");
        let content = &out["paths"]["/log"]["get"]["responses"]["200"]["content"];
        assert_eq!(
            content["text/plain"]["schema"],
            json!({ "type": "string", "format": "binary" })
        );
    }

    #[test]
    fn an_array_query_parameter_becomes_a_comma_separated_form_parameter() {
        let doc = minimal(json!({
            "/jobs": { "get": {
                "operationId": "listJobs",
                "parameters": [{ "name": "status", "in": "query", "type": "array",
                                 "items": { "type": "string" } }],
                "responses": { "200": { "description": "" } }
            } }
        }));
        let out = convert(&doc).expect("converts");
        let param = &out["paths"]["/jobs"]["get"]["parameters"][0];
        assert_eq!(param["style"], "form");
        assert_eq!(param["explode"], false);
        assert_eq!(param["schema"]["items"]["type"], "string");
    }

    #[test]
    fn nullable_extensions_become_openapi_nullable() {
        let mut doc = minimal(json!({}));
        doc["definitions"]["Thing"] = json!({
            "type": "object",
            "properties": {
                "a": { "type": "string", "x-nullable": true },
                "b": { "type": "string", "x-isnullable": true },
                "c": { "type": "string", "x-nullable": false, "x-omitempty": false }
            }
        });
        let out = convert(&doc).expect("converts");
        let props = &out["components"]["schemas"]["Thing"]["properties"];
        assert_eq!(props["a"]["nullable"], true);
        assert_eq!(props["b"]["nullable"], true);
        assert_eq!(props["c"], json!({ "type": "string" }));
    }

    #[test]
    fn an_unsupported_schema_construct_is_named_with_its_location() {
        let mut doc = minimal(json!({}));
        doc["definitions"]["Pet"] = json!({
            "type": "object",
            "properties": { "kind": { "allOf": [{ "type": "string" }] } }
        });
        let err = convert(&doc).expect_err("allOf is outside the subset");
        assert_eq!(
            err.to_string(),
            "#/definitions/Pet/properties/kind: unsupported Swagger 2.0 construct `allOf`"
        );
    }

    #[test]
    fn a_form_data_parameter_is_rejected_by_name() {
        let doc = minimal(json!({
            "/upload": { "post": {
                "operationId": "upload",
                "parameters": [{ "name": "f", "in": "formData", "type": "file" }],
                "responses": { "200": { "description": "" } }
            } }
        }));
        let err = convert(&doc).expect_err("formData is outside the subset");
        assert_eq!(
            err.to_string(),
            "#/paths/~1upload/post/parameters/0: unsupported Swagger 2.0 construct: \
             parameter `in: formData`"
        );
    }

    #[test]
    fn other_security_schemes_and_path_level_keys_are_rejected() {
        let mut doc = minimal(json!({}));
        doc["securityDefinitions"]["token"] = json!({ "type": "apiKey" });
        let err = convert(&doc).expect_err("apiKey is outside the subset");
        assert!(
            err.to_string()
                .contains("#/securityDefinitions/token: unsupported security")
        );

        let doc = minimal(json!({ "/a": { "parameters": [] } }));
        let err = convert(&doc).expect_err("path-level parameters are outside the subset");
        assert_eq!(
            err.to_string(),
            "#/paths/~1a: unsupported Swagger 2.0 construct `parameters` in a path item"
        );
    }

    #[test]
    fn a_document_that_is_not_swagger_2_is_rejected() {
        let err = convert(&json!({ "openapi": "3.0.0" })).expect_err("not swagger");
        assert_eq!(
            err.to_string(),
            "#: unsupported Swagger 2.0 construct `openapi`"
        );
        let err = convert(&json!({ "swagger": "1.2" })).expect_err("old swagger");
        assert_eq!(
            err.to_string(),
            "#/swagger: expected \"2.0\", found \"1.2\""
        );
    }
}
