//! Renders `spec/README.md`, which says where the derived document comes
//! from and what was changed on the way.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::patches::Applied;

/// Everything the README states.
pub struct Facts<'a> {
    pub source_name: &'a str,
    pub source_bytes: &'a [u8],
    pub harbor_version: &'a str,
    pub doc: &'a Value,
    pub applied: &'a [Applied],
}

/// How many changes of one patch are listed one by one.
const LISTED: usize = 12;

pub fn render(facts: &Facts<'_>) -> String {
    let sha256 = Sha256::digest(facts.source_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let operations: usize = facts.doc["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(Value::as_object)
                .map(|item| item.len())
                .sum()
        })
        .unwrap_or(0);
    let schemas = facts.doc["components"]["schemas"]
        .as_object()
        .map_or(0, |s| s.len());

    let mut out = String::new();
    out.push_str("# spec/: the OpenAPI 3.0 document `harbor-openapi` is generated from\n\n");
    out.push_str(
        "Written by `cargo xtask codegen`; do not edit by hand. CI runs \
         `cargo xtask codegen --check` to prove that it is current.\n\n",
    );
    out.push_str("| | |\n| --- | --- |\n");
    out.push_str(&format!(
        "| Harbor release | `{}` |\n",
        facts.harbor_version
    ));
    out.push_str(&format!(
        "| input | `{}` (Swagger 2.0) |\n",
        facts.source_name
    ));
    out.push_str(&format!(
        "| input size | {} bytes |\n",
        facts.source_bytes.len()
    ));
    out.push_str(&format!("| input sha256 | `{sha256}` |\n"));
    out.push_str(&format!("| operations | {operations} |\n"));
    out.push_str(&format!("| schemas | {schemas} |\n\n"));
    out.push_str(
        "The document keeps the interface only: paths, operations, parameters, \
         request and response bodies, headers and schemas. Harbor's prose \
         (summaries, descriptions, examples) is left out, and every response \
         description is empty.\n\n",
    );
    out.push_str("## Patches\n\n");
    out.push_str(
        "Applied in this order after the conversion; each is a function in \
         `xtask/src/patches.rs` with its own tests.\n",
    );
    for (index, patch) in facts.applied.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. **{}**: {}. {} change{}",
            index + 1,
            patch.name,
            patch.why,
            patch.changes.len(),
            if patch.changes.len() == 1 { "" } else { "s" }
        ));
        if patch.changes.len() <= LISTED {
            out.push_str(":\n");
            for change in &patch.changes {
                out.push_str(&format!("   - {change}\n"));
            }
        } else {
            out.push_str(", for example:\n");
            for change in patch.changes.iter().take(3) {
                out.push_str(&format!("   - {change}\n"));
            }
        }
    }
    out
}
