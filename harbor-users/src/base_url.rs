//! From the Harbor URL a person types to the API base every path hangs off.

use std::net::IpAddr;

use url::{Host, Url};

use crate::Error;

/// Harbor's API prefix, under which every operation path lives.
pub(crate) const API_PREFIX: &str = "/api/v2.0";

const ACCEPTED_FORMS: &str = "give the server's address, such as https://harbor.example.com, \
     https://harbor.example.com/api/v2.0 or, behind a path prefix, https://example.com/harbor/";

/// The API base for a Harbor URL: `https://harbor.example.com` and
/// `https://harbor.example.com/api/v2.0/` both give
/// `https://harbor.example.com/api/v2.0/`, and a path prefix is kept.
///
/// The result always ends with `/`, so that relative paths join below it.
pub(crate) fn api_base(input: &str) -> Result<Url, Error> {
    // A URL with credentials in it is not echoed back: the error would end
    // up in a log with the password.
    let shown = if input.contains('@') {
        "the Harbor URL".to_owned()
    } else {
        format!("the Harbor URL `{input}`")
    };
    let refuse = |problem: &str| Error::config(format!("{shown} {problem}; {ACCEPTED_FORMS}"));

    let mut url = Url::parse(input.trim()).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => refuse("has no scheme"),
        other => refuse(&format!("cannot be parsed ({other})")),
    })?;

    if !matches!(url.scheme(), "https" | "http") {
        return Err(refuse(&format!(
            "has the scheme `{}`, not https or http",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!(
            "the Harbor URL contains a username or password; pass credentials with \
             ClientBuilder::credentials instead, and {ACCEPTED_FORMS}"
        )));
    }
    if url.query().is_some() {
        return Err(refuse("has a query (`?…`)"));
    }
    if url.fragment().is_some() {
        return Err(refuse("has a fragment (`#…`)"));
    }
    if url.host().is_none() {
        return Err(refuse("has no host"));
    }

    let prefix = url.path().trim_end_matches('/');
    let path = if prefix.ends_with(API_PREFIX) {
        format!("{prefix}/")
    } else if ends_with_other_api_version(prefix) {
        return Err(refuse(
            "points at an API other than Harbor's v2.0 API; this client speaks /api/v2.0",
        ));
    } else {
        format!("{prefix}{API_PREFIX}/")
    };
    url.set_path(&path);
    Ok(url)
}

/// `…/api` or `…/api/v1`: most likely a typo for `/api/v2.0`, which appending
/// the prefix would turn into a path that does not exist.
fn ends_with_other_api_version(path: &str) -> bool {
    let mut segments = path.rsplit('/');
    match (segments.next(), segments.next()) {
        (Some("api"), _) => true,
        (Some(version), Some("api")) => version.starts_with('v'),
        _ => false,
    }
}

/// Whether the URL's host is this machine, where plain HTTP cannot be read
/// by anyone else on the network.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).to_canonical().is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(input: &str) -> String {
        match api_base(input) {
            Ok(url) => url.to_string(),
            Err(error) => format!("error: {error}"),
        }
    }

    #[test]
    fn every_accepted_form_gives_the_same_api_base() {
        for input in [
            "https://harbor.example.com",
            "https://harbor.example.com/",
            "https://harbor.example.com/api/v2.0",
            "https://harbor.example.com/api/v2.0/",
            "https://harbor.example.com//",
            " https://harbor.example.com ",
            "HTTPS://Harbor.Example.com",
        ] {
            assert_eq!(
                base(input),
                "https://harbor.example.com/api/v2.0/",
                "{input}"
            );
        }
    }

    #[test]
    fn a_path_prefix_is_kept() {
        assert_eq!(
            base("https://example.com/harbor/"),
            "https://example.com/harbor/api/v2.0/"
        );
        assert_eq!(
            base("https://example.com/harbor"),
            "https://example.com/harbor/api/v2.0/"
        );
        assert_eq!(
            base("https://example.com/harbor/api/v2.0"),
            "https://example.com/harbor/api/v2.0/"
        );
    }

    #[test]
    fn ports_and_ip_addresses_are_kept() {
        assert_eq!(
            base("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/api/v2.0/"
        );
        assert_eq!(base("https://[::1]:8443/"), "https://[::1]:8443/api/v2.0/");
    }

    #[test]
    fn a_url_without_scheme_is_refused_with_the_accepted_forms() {
        let message = base("harbor.example.com");
        assert!(
            message.contains("`harbor.example.com` has no scheme"),
            "{message}"
        );
        assert!(
            message.contains("https://harbor.example.com/api/v2.0"),
            "{message}"
        );

        // `host:port` parses as a URL whose scheme is the host.
        let message = base("harbor.example.com:443");
        assert!(message.contains("not https or http"), "{message}");
    }

    #[test]
    fn query_fragment_and_userinfo_are_refused() {
        assert!(base("https://h.example.com/?x=1").contains("has a query"));
        assert!(base("https://h.example.com/?").contains("has a query"));
        assert!(base("https://h.example.com/#top").contains("has a fragment"));

        let message = base("https://admin:Harbor12345@h.example.com/");
        assert!(message.contains("username or password"), "{message}");
        assert!(!message.contains("Harbor12345"), "{message}");
    }

    #[test]
    fn other_api_versions_are_refused() {
        assert!(base("https://h.example.com/api").contains("other than Harbor's v2.0"));
        assert!(base("https://h.example.com/api/v1/").contains("other than Harbor's v2.0"));
        assert_eq!(
            base("https://h.example.com/apis"),
            "https://h.example.com/apis/api/v2.0/"
        );
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        let loopback = |input: &str| Url::parse(input).is_ok_and(|url| is_loopback(&url));
        assert!(loopback("http://127.0.0.1:8080/"));
        assert!(loopback("http://127.1.2.3/"));
        assert!(loopback("http://[::1]/"));
        assert!(loopback("http://[::ffff:127.0.0.1]/"));
        assert!(loopback("http://localhost/"));
        assert!(loopback("http://LOCALHOST./"));
        assert!(loopback("http://harbor.localhost/"));
        assert!(!loopback("http://harbor.example.com/"));
        assert!(!loopback("http://10.0.0.1/"));
        assert!(!loopback("http://localhost.example.com/"));
    }
}
