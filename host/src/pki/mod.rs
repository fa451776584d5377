//! Keys, certificates and CA pins, as kubeadm writes them under `certificatesDir`: the
//! certificate list ([`certlist`]), issuing ([`Authority`]), reading and reusing what is on
//! disk ([`Pki`]), keys generated ahead in parallel ([`KeyPool`]) and CA pins ([`CaPin`]).

mod altnames;
pub mod certlist;
mod error;
mod issue;
mod keys;
mod pin;
mod pool;
mod store;
mod x509;

pub use altnames::AltNames;
pub use certlist::{CertConfig, CertSpec, Usage};
pub use error::PkiError;
pub use issue::Authority;
pub use keys::PrivateKey;
pub use pin::{CaPin, ca_pins};
pub use pool::KeyPool;
pub use store::{CERT_MODE, KEY_MODE, Pki, SERVICE_ACCOUNT_KEY, SERVICE_ACCOUNT_PUBLIC_KEY};
pub use x509::{Certificate, San};

/// PEM with Go's layout: 64-column base64 and `\n` line ends.
pub(crate) fn pem_block(tag: &str, der: impl Into<Vec<u8>>) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

#[cfg(test)]
mod tests;
