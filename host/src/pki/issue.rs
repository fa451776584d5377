//! Issuing certificates with the extensions, serials and validity kubeadm's pkiutil gives them.

use std::time::Duration;

use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyUsagePurpose, SanType, SerialNumber,
};
use time::OffsetDateTime;

use super::PkiError;
use super::certlist::{CertConfig, Usage};
use super::keys::PrivateKey;
use super::x509::Certificate;

/// kubeadm backdates CAs so that small clock jumps do not invalidate them (`CertificateBackdate`).
const CERTIFICATE_BACKDATE: Duration = Duration::from_secs(5 * 60);

const BASIC_CONSTRAINTS_OID: &[u64] = &[2, 5, 29, 19];

/// A CA certificate with its private key: what signs leaf certificates.
#[derive(Debug)]
pub struct Authority {
    pub cert: Certificate,
    pub key: PrivateKey,
}

impl Authority {
    /// A new self-signed CA (upstream `NewCertificateAuthority`): valid from five minutes ago
    /// for `validity`, with its common name repeated as a DNS SAN.
    pub fn self_signed(
        config: &CertConfig,
        key: PrivateKey,
        validity: Duration,
    ) -> Result<Self, PkiError> {
        let now = OffsetDateTime::now_utc();
        let mut params = base_params(config)?;
        params.not_before = now - CERTIFICATE_BACKDATE;
        params.not_after = now + validity;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.subject_alt_names = vec![dns_san(&config.common_name)?];
        let cert = params
            .self_signed(&key)
            .map_err(|e| sign_failed(config, e))?;
        let cert = Certificate::from_der(cert.der().to_vec()).map_err(|reason| PkiError::Sign {
            name: config.common_name.clone(),
            reason,
        })?;
        Ok(Authority { cert, key })
    }

    /// A leaf certificate for `key` (upstream `NewSignedCert`): valid from the CA's NotBefore
    /// until `validity` from now.
    pub fn issue(
        &self,
        config: &CertConfig,
        key: &PrivateKey,
        validity: Duration,
    ) -> Result<Certificate, PkiError> {
        let mut params = base_params(config)?;
        params.not_before = self.cert.not_before();
        params.not_after = OffsetDateTime::now_utc() + validity;
        // Go writes BasicConstraints CA:FALSE (critical) on leaves, and no SubjectKeyId.
        params.is_ca = IsCa::NoCa;
        let mut constraints =
            CustomExtension::from_oid_content(BASIC_CONSTRAINTS_OID, vec![0x30, 0x00]);
        constraints.set_criticality(true);
        params.custom_extensions = vec![constraints];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if key.is_rsa() {
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        params.extended_key_usages = config
            .usages
            .iter()
            .map(|u| match u {
                Usage::ServerAuth => ExtendedKeyUsagePurpose::ServerAuth,
                Usage::ClientAuth => ExtendedKeyUsagePurpose::ClientAuth,
            })
            .collect();
        params.use_authority_key_identifier_extension = true;
        let mut sans = config
            .alt_names
            .dns
            .iter()
            .map(|d| dns_san(d))
            .collect::<Result<Vec<_>, _>>()?;
        sans.extend(
            config
                .alt_names
                .ips
                .iter()
                .map(|ip| SanType::IpAddress(*ip)),
        );
        params.subject_alt_names = sans;

        let issuer = Issuer::from_ca_cert_der(&self.cert.der().to_vec().into(), &self.key)
            .map_err(|e| sign_failed(config, e))?;
        let cert = params
            .signed_by(key, &issuer)
            .map_err(|e| sign_failed(config, e))?;
        Certificate::from_der(cert.der().to_vec()).map_err(|reason| PkiError::Sign {
            name: config.common_name.clone(),
            reason,
        })
    }
}

fn sign_failed(config: &CertConfig, e: rcgen::Error) -> PkiError {
    PkiError::Sign {
        name: config.common_name.clone(),
        reason: e.to_string(),
    }
}

/// Subject and serial, shared by CAs and leaves.
fn base_params(config: &CertConfig) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    // rcgen holds one value per attribute type; kubeadm's certificates never need more.
    if config.organization.len() > 1 {
        return Err(PkiError::Sign {
            name: config.common_name.clone(),
            reason: format!(
                "at most one organization is supported, got {:?}",
                config.organization
            ),
        });
    }
    // Go orders O before CN and uses PrintableString where the text allows it.
    for org in &config.organization {
        name.push(DnType::OrganizationName, dn_value(org));
    }
    name.push(DnType::CommonName, dn_value(&config.common_name));
    params.distinguished_name = name;
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

fn dn_value(text: &str) -> DnValue {
    match PrintableString::try_from(text) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(text.to_string()),
    }
}

fn dns_san(name: &str) -> Result<SanType, PkiError> {
    let ia5 = name
        .to_string()
        .try_into()
        .map_err(|e: rcgen::Error| PkiError::Sign {
            name: name.to_string(),
            reason: format!("DNS name {name:?}: {e}"),
        })?;
    Ok(SanType::DnsName(ia5))
}

/// A uniformly random serial in [1, 2^63 - 1), as kubeadm draws them, from the OS generator.
fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).map_err(|_| {
        PkiError::Sign {
            name: "serial number".into(),
            reason: "the system random number generator failed".into(),
        }
    })?;
    let serial = u64::from_be_bytes(bytes) % (i64::MAX as u64 - 1) + 1;
    Ok(SerialNumber::from(serial))
}
