//! HTTPS with a generated certificate, verified end to end against the fake's CA.

mod common;

use harbor_fake::FakeHarbor;

#[tokio::test]
async fn https_works_with_the_generated_ca() {
    let fake = common::start_with(FakeHarbor::builder().tls(true).users(2)).await;
    assert!(fake.url().starts_with("https://127.0.0.1:"));
    let pem = fake.ca_pem().expect("a CA when serving HTTPS");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).expect("a PEM certificate");
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([ca])
        .build()
        .expect("client");
    let reply = common::get("/api/v2.0/users")
        .admin(&fake)
        .send_with(&client, fake.url())
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.total(), 2);
}

#[tokio::test]
async fn https_is_refused_without_trusting_the_ca() {
    let fake = common::start_with(FakeHarbor::builder().tls(true)).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let other = FakeHarbor::builder()
        .tls(true)
        .start()
        .await
        .expect("starts");
    let wrong_ca = reqwest::Certificate::from_pem(other.ca_pem().expect("pem").as_bytes())
        .expect("a PEM certificate");
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([wrong_ca])
        .build()
        .expect("client");
    let result = client
        .get(format!("{}/api/v2.0/users", fake.url()))
        .send()
        .await;
    assert!(result.is_err(), "a certificate from another CA is rejected");
}

#[tokio::test]
async fn plain_http_has_no_ca() {
    let fake = common::start().await;
    assert!(fake.url().starts_with("http://127.0.0.1:"));
    assert_eq!(fake.ca_pem(), None);
}
