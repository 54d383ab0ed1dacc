//! A throwaway certificate authority and server certificate for HTTPS tests.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A TLS acceptor and the PEM of the CA that signed its certificate.
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
}

fn describe(what: &'static str) -> impl Fn(rcgen::Error) -> String {
    move |error| format!("{what}: {error}")
}

/// Generates a CA and a server certificate for `localhost` and `127.0.0.1`, and a rustls
/// configuration using the ring provider.
pub(crate) fn generate() -> Result<Tls, String> {
    let ca_key = KeyPair::generate().map_err(describe("generating the CA key"))?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())
        .map_err(describe("preparing the CA certificate"))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "harbor-fake test CA");
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(describe("signing the CA certificate"))?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(describe("generating the server key"))?;
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .map_err(describe("preparing the server certificate"))?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "harbor-fake");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(describe("signing the server certificate"))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("choosing TLS versions: {error}"))?
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .map_err(|error| format!("loading the server certificate: {error}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca_cert.pem(),
    })
}
