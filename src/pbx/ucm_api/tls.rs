//! TLS for the UCM API: certificate verification always on, with the platform's roots plus an
//! optional CA file (PEM) for a UCM whose certificate is self-signed or from a private CA.

use super::error::UcmError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// Builds the rustls client configuration (ring provider) used for the UCM.
pub fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, UcmError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut extra = Vec::new();
    if let Some(path) = ca_file {
        let shown = path.display();
        let certs = CertificateDer::pem_file_iter(path).map_err(|e| UcmError::CaFile(format!("{shown}: {e}")))?;
        for cert in certs {
            extra.push(cert.map_err(|e| UcmError::CaFile(format!("{shown}: {e}")))?);
        }
        if extra.is_empty() {
            return Err(UcmError::CaFile(format!("{shown} holds no PEM certificate")));
        }
    }
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map_err(|e| UcmError::CaFile(format!("cannot set up certificate verification: {e}")))?;
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| UcmError::Config(format!("TLS: {e}")))?
        .dangerous()
        // Not a way around verification: the platform verifier checks the chain and the name.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(cfg)
}

/// The certificate problem behind a connection error, when there is one: looks for a
/// `rustls::Error` along the error's sources, looking inside (nested) `std::io::Error`s too.
pub fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    // Bounded: error chains are short; stop after 16 links whatever happens.
    for _ in 0..16 {
        let e = cur?;
        match e.downcast_ref::<rustls::Error>() {
            Some(rustls::Error::InvalidCertificate(why)) => return Some(describe(why)),
            Some(
                other @ (rustls::Error::NoCertificatesPresented
                | rustls::Error::UnsupportedNameType
                | rustls::Error::InvalidCertRevocationList(_)),
            ) => return Some(other.to_string()),
            Some(_) => return None,
            None => {}
        }
        // `io::Error::source` skips the wrapped error itself; `get_ref` gives it.
        cur = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

fn describe(why: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match why {
        C::UnknownIssuer => "unknown issuer: self-signed or from a CA this machine does not trust".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => "issued for another host name".into(),
        C::Expired | C::ExpiredContext { .. } => "expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "not valid yet (check the clock)".into(),
        C::Revoked => "revoked".into(),
        other => format!("{other:?}"),
    }
}
