//! Harbor's `Link` header for paged lists.
//!
//! Harbor rebuilds the request URL with `page` and `page_size` set, re-encodes the query
//! with sorted keys and then unescapes it once, so `q` appears raw (`q=username=~ab`, a
//! `+`-encoded space as a space). Quirk kept on purpose: the `next` link is built from the
//! already unescaped query of the `prev` link when both are present, which Go parses again.

use crate::goquery;

/// The `Link` header value, or "" when there is neither a previous nor a next page.
pub(crate) fn links(path: &str, raw_query: &str, total: i64, page: i64, page_size: i64) -> String {
    if page_size == 0 {
        return String::new();
    }
    let mut query = raw_query.to_string();
    let mut links = Vec::new();
    if page > 1 && page.wrapping_sub(1).wrapping_mul(page_size) < total {
        query = with_page(&query, page.wrapping_sub(1), page_size);
        links.push(format!("<{path}?{query}>; rel=\"prev\""));
    }
    if page_size.wrapping_mul(page) < total {
        query = with_page(&query, page.wrapping_add(1), page_size);
        links.push(format!("<{path}?{query}>; rel=\"next\""));
    }
    links.join(" , ")
}

fn with_page(raw_query: &str, page: i64, page_size: i64) -> String {
    let mut values = goquery::parse_query_lenient(raw_query);
    values.insert("page".to_string(), vec![page.to_string()]);
    values.insert("page_size".to_string(), vec![page_size.to_string()]);
    let encoded = goquery::encode(&values);
    goquery::query_unescape(&encoded).unwrap_or(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_links_are_joined_with_a_spaced_comma() {
        assert_eq!(
            links("/api/v2.0/users", "q=email%3D~x&page=2", 45, 2, 10),
            "</api/v2.0/users?page=1&page_size=10&q=email=~x>; rel=\"prev\" , \
             </api/v2.0/users?page=3&page_size=10&q=email=~x>; rel=\"next\""
        );
    }

    #[test]
    fn no_links_for_a_single_page_or_unlimited_size() {
        assert_eq!(links("/api/v2.0/users", "", 5, 1, 10), "");
        assert_eq!(links("/api/v2.0/users", "", 500, 1, 0), "");
    }
}
