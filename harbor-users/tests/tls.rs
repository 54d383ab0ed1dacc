//! TLS against a real handshake: a throwaway CA and server certificate made
//! with rcgen, served by tokio-rustls on 127.0.0.1.

mod support;

use std::{net::SocketAddr, sync::Arc};

use harbor_users::{Error, HarborClient, harbor_openapi::Error as RawError};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use support::TestResult;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::mpsc,
};

/// A CA, and a certificate it signed for `localhost` and `127.0.0.1`.
struct Pki {
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

fn make_pki() -> Result<Pki, rcgen::Error> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "harbor-users test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let server_cert = params.signed_by(&server_key, &ca)?;

    Ok(Pki {
        ca_pem: ca.pem(),
        server_chain: vec![server_cert.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
    })
}

/// Serves `{"status":"healthy"}` over TLS to every request, and reports
/// each request's head (method line and headers) on the channel.
async fn serve_tls(
    pki: &Pki,
) -> Result<(SocketAddr, mpsc::UnboundedReceiver<String>), Box<dyn std::error::Error>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            pki.server_chain.clone(),
            PrivateKeyDer::Pkcs8(pki.server_key.clone_key()),
        )?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (heads, received) = mpsc::unbounded_channel();

    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let heads = heads.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                    match tls.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => head.extend_from_slice(buffer.get(..read).unwrap_or_default()),
                    }
                }
                let _ = heads.send(String::from_utf8_lossy(&head).into_owned());
                let body = r#"{"status":"healthy"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Ok((address, received))
}

#[tokio::test]
async fn a_private_ca_makes_harbors_certificate_trusted() -> TestResult {
    let pki = make_pki()?;
    let (address, mut heads) = serve_tls(&pki).await?;

    let client = HarborClient::builder(format!("https://localhost:{}", address.port()))
        .add_ca_certificate_pem(pki.ca_pem.as_bytes())
        .basic_auth("admin", "Harbor12345")
        .build()?;
    let health = client.raw().get_health().send().await?.into_inner();

    assert_eq!(health.status.as_deref(), Some("healthy"));
    let head = heads.recv().await.unwrap_or_default().to_ascii_lowercase();
    assert!(head.starts_with("get /api/v2.0/health http/1.1"), "{head}");
    assert!(head.contains("authorization: basic "), "{head}");
    Ok(())
}

#[tokio::test]
async fn a_ca_file_works_like_pem_bytes_for_an_ip_address() -> TestResult {
    let pki = make_pki()?;
    let (address, _heads) = serve_tls(&pki).await?;
    let path = std::env::temp_dir().join(format!("harbor-users-ca-{}.pem", std::process::id()));
    std::fs::write(&path, &pki.ca_pem)?;

    let built = HarborClient::builder(format!("https://{address}"))
        .add_ca_certificate_file(&path)
        .build();
    std::fs::remove_file(&path)?;
    built?.raw().get_health().send().await?;
    Ok(())
}

#[tokio::test]
async fn an_unknown_ca_is_refused_as_a_connect_error() -> TestResult {
    let pki = make_pki()?;
    let (address, _heads) = serve_tls(&pki).await?;

    let client = HarborClient::builder(format!("https://localhost:{}", address.port()))
        .retry_policy(harbor_users::RetryPolicy::disabled())
        .build()?;
    let error = client.raw().get_health().send().await.err();

    match error {
        Some(RawError::CommunicationError(source)) => assert!(source.is_connect(), "{source:?}"),
        other => panic!("expected a connect error, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn danger_accept_invalid_certs_accepts_an_unknown_ca() -> TestResult {
    let pki = make_pki()?;
    let (address, _heads) = serve_tls(&pki).await?;

    let client = HarborClient::builder(format!("https://localhost:{}", address.port()))
        .danger_accept_invalid_certs(true)
        .build()?;
    client.raw().get_health().send().await?;
    Ok(())
}

#[test]
fn a_ca_that_is_not_a_certificate_is_a_config_error() {
    for pem in [&b"not a certificate"[..], b""] {
        let error = HarborClient::builder("https://harbor.example.com")
            .add_ca_certificate_pem(pem)
            .build()
            .err();
        let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(matches!(error, Some(Error::Config { .. })), "{message}");
        assert!(message.contains("PEM data"), "{message}");
    }

    let error = HarborClient::builder("https://harbor.example.com")
        .add_ca_certificate_file("/nonexistent/ca.pem")
        .build()
        .err();
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.contains("cannot read the CA certificate file /nonexistent/ca.pem"),
        "{message}"
    );
}
