//! TLS for the relay (`--protocol https`: `wss://` and every HTTP route on one port) and
//! for the client (`wss://` relays and their `https://` report API), with rustls and its
//! `ring` provider, TLS 1.2 and 1.3.
//!
//! Certificates and keys are PEM, given as a file or as text ([`PemSource`]). The
//! relay's key may be an encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`),
//! decrypted with a passphrase as the reference's `--passphrase`. The client trusts the
//! platform's root certificates plus [`ClientTls::ca_certs`]; an explicit, loudly named
//! opt-in ([`ClientTls::dangerous_accept_any_certificate`]) accepts any certificate for
//! self-signed development relays.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use once_cell::sync::Lazy;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::client::{ConnectFuture, Connector, Endpoint, Transport};
use crate::options::InvalidOption;

/// PEM text, or a file holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemSource {
    /// A PEM file.
    File(PathBuf),
    /// PEM text in memory.
    Text(String),
}

impl PemSource {
    fn read(&self) -> Result<Vec<u8>, String> {
        match self {
            PemSource::File(path) => {
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            PemSource::Text(text) => Ok(text.as_bytes().to_vec()),
        }
    }
}

impl fmt::Display for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(path) => write!(f, "{}", path.display()),
            PemSource::Text(_) => f.write_str("(PEM text)"),
        }
    }
}

/// Why the relay's certificate or key cannot be used; one line naming the file and the
/// problem, e.g. `the key in key.pem does not match the certificate in cert.pem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Reads the certificates of a PEM source (at least one).
fn certificates(source: &PemSource, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = source.read()?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{what} {source} is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {source} holds no certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(certs)
}

/// Reads the private key of a PEM source, decrypting an encrypted PKCS#8 key.
fn private_key(
    source: &PemSource,
    passphrase: Option<&str>,
) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = source.read()?;
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let Some(passphrase) = passphrase else {
            return Err(format!(
                "the key in {source} is encrypted: give its passphrase (--passphrase)"
            ));
        };
        let start = text
            .find("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            .unwrap_or(0);
        let end = text[start..]
            .find("-----END ENCRYPTED PRIVATE KEY-----")
            .map(|i| start + i + "-----END ENCRYPTED PRIVATE KEY-----".len())
            .ok_or_else(|| format!("the encrypted key in {source} is not valid PEM"))?;
        let (_, der) = pkcs8::der::pem::decode_vec(text[start..end].as_bytes())
            .map_err(|e| format!("the encrypted key in {source} is not valid PEM: {e}"))?;
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| format!("the encrypted key in {source} is not valid PKCS#8: {e}"))?;
        let doc = info.decrypt(passphrase).map_err(|_| {
            format!(
                "cannot decrypt the key in {source}: wrong passphrase (or an unsupported cipher)"
            )
        })?;
        // A wrong passphrase usually fails the padding check above; a lucky one yields
        // garbage that is not a PrivateKeyInfo.
        pkcs8::PrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|_| format!("cannot decrypt the key in {source}: wrong passphrase"))?;
        return Ok(PrivateKeyDer::Pkcs8(doc.as_bytes().to_vec().into()));
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => format!(
            "{source} holds no private key (PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)"
        ),
        other => format!("the key in {source} is not valid PEM: {other}"),
    })
}

/// The relay's TLS configuration from its certificate chain (leaf first, then any
/// intermediates) and private key.
///
/// # Errors
/// [`TlsError`] naming the file and the problem: unreadable, no certificate or key, an
/// encrypted key without or with a wrong passphrase, a key that does not match the
/// certificate, a key type rustls cannot use.
pub fn server_config(
    cert: &PemSource,
    key: &PemSource,
    passphrase: Option<&str>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = certificates(cert, "the certificate file").map_err(TlsError)?;
    let key_der = private_key(key, passphrase).map_err(TlsError)?;
    let provider = provider();
    let signing = provider
        .key_provider
        .load_private_key(key_der.clone_key())
        .map_err(|e| TlsError(format!("the key in {key} cannot be used: {e}")))?;
    rustls::sign::CertifiedKey::new(chain.clone(), signing)
        .keys_match()
        .map_err(|_| {
            TlsError(format!(
                "the key in {key} does not match the certificate in {cert}"
            ))
        })?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(VERSIONS)
        .map_err(|e| TlsError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| TlsError(format!("the certificate in {cert} cannot be used: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client's TLS settings for `wss://` relays (and their `https://` report API).
/// Default: trust the platform's root certificates only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientTls {
    /// Extra CA certificates to trust besides the platform's roots (a private CA, a
    /// self-signed relay certificate), each a PEM file or PEM text with one or more
    /// certificates.
    pub ca_certs: Vec<PemSource>,
    /// **Accept any certificate**, without checking who signed it, for which name, or
    /// until when. Only for a self-signed relay in development: anyone on the network
    /// path can then read and change the traffic. Default off.
    pub dangerous_accept_any_certificate: bool,
}

/// The platform's roots, loaded once per process.
static PLATFORM_ROOTS: Lazy<Vec<CertificateDer<'static>>> = Lazy::new(|| {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::debug!("platform root certificates: {e}");
    }
    found.certs
});

impl ClientTls {
    /// Checks that every CA certificate source can be read and parsed.
    ///
    /// # Errors
    /// [`InvalidOption`] naming `ca_certs` and the file for an unreadable source, one
    /// that is not PEM, or one without a certificate.
    pub fn validate(&self) -> Result<(), InvalidOption> {
        self.extra_roots().map(|_| ())
    }

    fn extra_roots(&self) -> Result<Vec<CertificateDer<'static>>, InvalidOption> {
        let mut all = Vec::new();
        for source in &self.ca_certs {
            let certs = certificates(source, "the CA certificate file")
                .map_err(|e| InvalidOption::new("ca_certs", e))?;
            all.extend(certs);
        }
        Ok(all)
    }

    /// The rustls client configuration these settings describe.
    ///
    /// # Errors
    /// [`InvalidOption`] as [`ClientTls::validate`], or for a CA certificate rustls
    /// refuses as a trust anchor.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, InvalidOption> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(|e| InvalidOption::new("ca_certs", e.to_string()))?;
        let mut config = if self.dangerous_accept_any_certificate {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(PLATFORM_ROOTS.iter().cloned());
            for cert in self.extra_roots()? {
                roots.add(cert).map_err(|e| {
                    InvalidOption::new("ca_certs", format!("a CA certificate cannot be used: {e}"))
                })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The connector for `endpoint`: `inner` (the byte stream) as it is for `ws://`,
    /// wrapped in TLS with these settings for `wss://`.
    ///
    /// # Errors
    /// [`InvalidOption`] as [`ClientTls::client_config`].
    pub fn connector_for(
        &self,
        endpoint: &Endpoint,
        inner: Arc<dyn Connector>,
    ) -> Result<Arc<dyn Connector>, InvalidOption> {
        if !endpoint.secure {
            return Ok(inner);
        }
        Ok(Arc::new(TlsConnector {
            inner,
            config: self.client_config()?,
        }))
    }
}

/// The opt-in verifier that accepts any certificate (signatures are still checked, so
/// the handshake itself is sound; only the identity is not).
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// TLS over another connector's byte stream, for `wss://` endpoints.
struct TlsConnector {
    inner: Arc<dyn Connector>,
    config: Arc<ClientConfig>,
}

impl Connector for TlsConnector {
    fn supports(&self, endpoint: &Endpoint) -> Result<(), String> {
        self.inner.supports(&plain(endpoint))
    }

    fn connect<'a>(&'a self, endpoint: &'a Endpoint) -> ConnectFuture<'a> {
        Box::pin(async move {
            let name = ServerName::try_from(endpoint.host.clone()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{:?} is not a TLS server name: {e}", endpoint.host),
                )
            })?;
            let tcp = self.inner.connect(&plain(endpoint)).await?;
            let tls = tokio_rustls::TlsConnector::from(self.config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| {
                    let e = handshake_error(endpoint, e);
                    tracing::warn!("{e}");
                    e
                })?;
            Ok(Box::new(tls) as Box<dyn Transport>)
        })
    }
}

fn plain(endpoint: &Endpoint) -> Endpoint {
    Endpoint {
        secure: false,
        ..endpoint.clone()
    }
}

/// The TLS handshake's error as text that says what failed, e.g. `TLS handshake with
/// 127.0.0.1:8443 failed: invalid peer certificate: UnknownIssuer (the certificate is
/// not signed by a trusted CA: add its CA to ca_certs)`.
fn handshake_error(endpoint: &Endpoint, e: io::Error) -> io::Error {
    let kind = e.kind();
    let hint = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|r| match r {
            rustls::Error::InvalidCertificate(c) => Some(match c {
                rustls::CertificateError::UnknownIssuer => {
                    " (the certificate is not signed by a trusted CA: add its CA to ca_certs)"
                }
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. } => {
                    " (the certificate is for another host name)"
                }
                rustls::CertificateError::Expired
                | rustls::CertificateError::ExpiredContext { .. } => {
                    " (the certificate has expired)"
                }
                _ => "",
            }),
            _ => None,
        })
        .unwrap_or("");
    io::Error::new(
        kind,
        format!(
            "TLS handshake with {}:{} failed: {e}{hint}",
            endpoint.host, endpoint.port
        ),
    )
}
