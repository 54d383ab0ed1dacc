//! Shared helpers: a plain reqwest client (no cookie store, ring provider) and a small
//! request builder whose reply keeps status, headers and body for assertions.

#![allow(dead_code)]

use harbor_fake::{FakeHarbor, FakeHarborBuilder};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A client like the one the Harbor client uses: no cookies, pre-emptive Basic auth.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a plain HTTP client builds")
}

/// Starts a fake with default settings.
pub async fn start() -> FakeHarbor {
    start_with(FakeHarbor::builder()).await
}

/// Starts a fake from a configured builder.
pub async fn start_with(builder: FakeHarborBuilder) -> FakeHarbor {
    builder.start().await.expect("the fake Harbor starts")
}

/// An HTTP status, headers and body, as received.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {:?}", self.body))
    }

    /// The `X-Total-Count` header as a number.
    pub fn total(&self) -> i64 {
        self.header("x-total-count")
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no X-Total-Count in {:?}", self.headers))
    }

    /// The `username` of every item of a JSON array body.
    pub fn usernames(&self) -> Vec<String> {
        self.json()
            .as_array()
            .unwrap_or_else(|| panic!("body is not an array: {}", self.body))
            .iter()
            .map(|item| item["username"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Asserts Harbor's error envelope: status, code, message, content type, newline.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status, status, "status of {:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8"),
            "content type of an error"
        );
        let expected = serde_json::json!({"errors": [{"code": code, "message": message}]});
        assert_eq!(self.json(), expected);
        assert!(self.body.ends_with("}\n"), "one JSON line and a newline");
        assert_eq!(self.body.matches('\n').count(), 1, "exactly one newline");
    }

    /// Asserts a 200 or 201 with no body and no Content-Type.
    #[track_caller]
    pub fn assert_empty(&self, status: u16) {
        assert_eq!(self.status, status, "status of {:?}", self.body);
        assert_eq!(self.body, "");
        assert_eq!(self.header("content-type"), None);
    }
}

/// A request to the fake.
pub struct Call {
    method: Method,
    path: String,
    auth: Option<(String, String)>,
    body: Option<String>,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
}

pub fn get(path: &str) -> Call {
    Call::new(Method::GET, path)
}

pub fn post(path: &str) -> Call {
    Call::new(Method::POST, path)
}

pub fn put(path: &str) -> Call {
    Call::new(Method::PUT, path)
}

pub fn delete(path: &str) -> Call {
    Call::new(Method::DELETE, path)
}

impl Call {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_string(),
            auth: None,
            body: None,
            content_type: None,
            headers: Vec::new(),
        }
    }

    /// Basic credentials.
    pub fn auth(mut self, username: &str, password: &str) -> Self {
        self.auth = Some((username.to_string(), password.to_string()));
        self
    }

    /// The admin's credentials of `fake`.
    pub fn admin(self, fake: &FakeHarbor) -> Self {
        let credentials = fake.admin_credentials();
        self.auth(&credentials.username, &credentials.password)
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(mut self, body: &str) -> Self {
        self.body = Some(body.to_string());
        self.content_type = Some("application/json".to_string());
        self
    }

    /// A body with no Content-Type header.
    pub fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.to_string());
        self.content_type = None;
        self
    }

    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_string());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub async fn send(self, fake: &FakeHarbor) -> Reply {
        self.send_with(&client(), fake.url()).await
    }

    pub async fn send_with(self, client: &reqwest::Client, base: &str) -> Reply {
        let mut request = client.request(self.method, format!("{base}{}", self.path));
        if let Some((username, password)) = &self.auth {
            request = request.basic_auth(username, Some(password));
        }
        if let Some(content_type) = &self.content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        let response = request.send().await.expect("the fake answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("the body arrives");
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// A JSON body for `POST /users`.
pub fn new_user_json(username: &str) -> String {
    serde_json::json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "realname": format!("{username} real"),
        "password": "Passw0rd!",
        "comment": "created",
    })
    .to_string()
}
