//! Reading certificates: the checks kubeadm makes before it trusts a file it finds on disk.

use std::net::IpAddr;

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use super::pem_block;

const CERTIFICATE: &str = "CERTIFICATE";

/// One DER certificate, known to parse.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.x509().subject().to_string())
            .finish_non_exhaustive()
    }
}

impl Certificate {
    pub fn from_der(der: Vec<u8>) -> Result<Self, String> {
        X509Certificate::from_der(&der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        Ok(Certificate { der })
    }

    /// Every `CERTIFICATE` block of a PEM file, in order (a bundle's first is the leaf).
    pub fn from_pem_bundle(text: &[u8]) -> Result<Vec<Self>, String> {
        let blocks = pem::parse_many(text).map_err(|e| format!("not PEM: {e}"))?;
        let certs = blocks
            .into_iter()
            .filter(|b| b.tag() == CERTIFICATE)
            .map(|b| Certificate::from_der(b.into_contents()))
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err("no CERTIFICATE block found".into());
        }
        Ok(certs)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn to_pem(&self) -> String {
        pem_block(CERTIFICATE, self.der.clone())
    }

    fn x509(&self) -> X509Certificate<'_> {
        X509Certificate::from_der(&self.der)
            .expect("checked when the certificate was read")
            .1
    }

    pub fn is_ca(&self) -> bool {
        self.x509().is_ca()
    }

    pub fn not_before(&self) -> OffsetDateTime {
        self.x509().validity().not_before.to_datetime()
    }

    pub fn not_after(&self) -> OffsetDateTime {
        self.x509().validity().not_after.to_datetime()
    }

    /// The DER SubjectPublicKeyInfo, as the certificate carries it.
    pub fn public_key_info(&self) -> Vec<u8> {
        self.x509().public_key().raw.to_vec()
    }

    /// The subjectPublicKey bits (what a private key's public half must equal).
    pub fn public_key_raw(&self) -> Vec<u8> {
        self.x509().public_key().subject_public_key.data.to_vec()
    }

    pub fn common_name(&self) -> Option<String> {
        let x = self.x509();
        let cn = x
            .subject()
            .iter_common_name()
            .next()?
            .as_str()
            .ok()?
            .to_string();
        Some(cn)
    }

    pub fn organizations(&self) -> Vec<String> {
        let x = self.x509();
        x.subject()
            .iter_organization()
            .filter_map(|o| o.as_str().ok().map(String::from))
            .collect()
    }

    /// Whether `issuer` issued this certificate: the names agree and its key verifies the signature.
    pub fn is_signed_by(&self, issuer: &Certificate) -> bool {
        let (me, them) = (self.x509(), issuer.x509());
        me.issuer().as_raw() == them.subject().as_raw()
            && me.verify_signature(Some(them.public_key())).is_ok()
    }

    /// Whether the chain `self`, then `intermediates`, leads to `root`.
    pub fn chains_to(&self, intermediates: &[Certificate], root: &Certificate) -> bool {
        let mut current = self;
        for _ in 0..=intermediates.len() {
            if current.is_signed_by(root) {
                return true;
            }
            match intermediates
                .iter()
                .find(|i| *i != current && current.is_signed_by(i))
            {
                Some(next) => current = next,
                None => return false,
            }
        }
        false
    }

    /// Go's VerifyHostname for a DNS name: an exact SAN, or a `*.` SAN covering one label.
    pub fn covers_dns(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.sans().iter().any(|san| match san {
            San::Dns(pattern) => {
                let pattern = pattern.to_ascii_lowercase();
                pattern == name
                    || (!name.contains('*')
                        && pattern.strip_prefix("*.").is_some_and(|rest| {
                            name.split_once('.').is_some_and(|(_, tail)| tail == rest)
                        }))
            }
            San::Ip(_) => false,
        })
    }

    pub fn covers_ip(&self, ip: IpAddr) -> bool {
        self.sans().contains(&San::Ip(ip))
    }

    /// The DNS and IP subject alternative names.
    pub fn sans(&self) -> Vec<San> {
        let x = self.x509();
        let Ok(Some(ext)) = x.subject_alternative_name() else {
            return Vec::new();
        };
        ext.value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(San::Dns(d.to_string())),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => Some(San::Ip(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?))),
                    16 => Some(San::Ip(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?))),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }
}

/// `2006-01-02T15:04:05Z`, for messages about validity.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A DNS or IP subject alternative name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Ip(IpAddr),
}
