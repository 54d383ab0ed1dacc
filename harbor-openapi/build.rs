//! Generates the Harbor client from `spec/harbor-api-v2.0.json` at build time.
//!
//! The spec is the only input: the build never touches the network. The
//! generated code is formatted with `prettyplease` (never rustfmt, which is not
//! idempotent on progenitor's doc comments) and written to
//! `$OUT_DIR/codegen.rs`, which `src/lib.rs` includes.

use std::{env, fs, path::PathBuf};

fn main() {
    // Read at run time: a build script compiled for one checkout may be
    // reused by another that shares the target directory.
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let spec_path = PathBuf::from(manifest_dir)
        .join("..")
        .join("spec")
        .join("harbor-api-v2.0.json");
    println!("cargo:rerun-if-changed={}", spec_path.display());

    let text = fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", spec_path.display()));
    let spec: openapiv3::OpenAPI = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not OpenAPI 3.0: {e}", spec_path.display()));

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(quote::quote!(crate::Hooks))
        .with_derive("PartialEq");
    let mut generator = progenitor::Generator::new(&settings);

    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor rejected {}: {e}", spec_path.display()));
    let file: syn::File =
        syn::parse2(tokens).unwrap_or_else(|e| panic!("progenitor produced unparsable code: {e}"));
    // progenitor's usage sketches are not compilable examples; mark them as
    // plain text so that no documentation claims to be an ignored test.
    let code = prettyplease::unparse(&file).replace("```ignore", "```text");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("codegen.rs");
    fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
