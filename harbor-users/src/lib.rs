//! A client for the Users API of Harbor, the CNCF container registry.

pub mod query;
