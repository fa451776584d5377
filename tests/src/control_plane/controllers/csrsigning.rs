//! kube-controller-manager's csrsigning: approved CSRs for the kubelet client and API server
//! client signers get a certificate from the cluster CA (`ca.crt`/`ca.key`), valid one year
//! (or `spec.expirationSeconds`), backdated five minutes, never past the CA's own expiry.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rcgen::{
    CertificateSigningRequestParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls_pki_types::CertificateSigningRequestDer;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::super::ControlPlaneError;
use super::super::meta;
use super::super::resources::{self, CERTIFICATES_GROUP};
use super::super::store::{Store, StoreError};
use super::super::tls::ClusterPki;
use super::csr::{APISERVER_CLIENT_SIGNER, Csr, KUBELET_CLIENT_SIGNER, has_condition};

/// kube-controller-manager's `--cluster-signing-duration` default.
const SIGNING_DURATION: Duration = Duration::days(365);
const BACKDATE: Duration = Duration::minutes(5);
/// The shortest `spec.expirationSeconds` the API accepts.
const MIN_EXPIRATION_SECONDS: i64 = 600;

/// The cluster CA, ready to sign.
pub struct Signer {
    issuer: Issuer<'static, KeyPair>,
    ca_not_after: OffsetDateTime,
}

fn ca_error(what: &str, e: impl std::fmt::Display) -> ControlPlaneError {
    ControlPlaneError::Tls(format!("{what}: {e}"))
}

impl Signer {
    pub fn new(pki: &ClusterPki) -> Result<Self, ControlPlaneError> {
        let key = KeyPair::from_pem(&pki.ca_key_pem).map_err(|e| ca_error("ca.key", e))?;
        let issuer =
            Issuer::from_ca_cert_pem(&pki.ca_cert_pem, key).map_err(|e| ca_error("ca.crt", e))?;
        let (_, ca) = X509Certificate::from_der(&pki.ca_cert).map_err(|e| ca_error("ca.crt", e))?;
        Ok(Signer {
            issuer,
            ca_not_after: ca.validity().not_after.to_datetime(),
        })
    }

    /// The PEM certificate for a CSR this signer accepts, or why it refuses.
    pub fn sign(
        &self,
        csr: &Csr,
        expiration_seconds: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<String, String> {
        let allowed_usages: &[&str] = &["digital signature", "key encipherment", "client auth"];
        match csr.signer.as_str() {
            KUBELET_CLIENT_SIGNER if !csr.is_node_client() => {
                return Err("the CSR is not a valid kubelet client certificate request (CN system:node:<name>, O system:nodes, client auth)".into());
            }
            APISERVER_CLIENT_SIGNER
                if !csr.usages.iter().any(|u| u == "client auth")
                    || !csr
                        .usages
                        .iter()
                        .all(|u| allowed_usages.contains(&u.as_str())) =>
            {
                return Err(format!(
                    "usages {:?} are not allowed for {APISERVER_CLIENT_SIGNER}",
                    csr.usages
                ));
            }
            _ => {}
        }
        let der = CertificateSigningRequestDer::from(csr.request.as_slice());
        let mut request = CertificateSigningRequestParams::from_der(&der)
            .map_err(|e| format!("the request cannot be signed: {e}"))?;
        let lifetime = expiration_seconds
            .map(|s| Duration::seconds(s.max(MIN_EXPIRATION_SECONDS)).min(SIGNING_DURATION))
            .unwrap_or(SIGNING_DURATION);
        let params = &mut request.params;
        params.not_before = now - BACKDATE;
        params.not_after = (now + lifetime).min(self.ca_not_after);
        params.is_ca = IsCa::ExplicitNoCa;
        params.serial_number = Some(SerialNumber::from_slice(&random_serial()));
        params.use_authority_key_identifier_extension = true;
        params.key_usages = csr
            .usages
            .iter()
            .filter_map(|u| match u.as_str() {
                "digital signature" => Some(KeyUsagePurpose::DigitalSignature),
                "key encipherment" => Some(KeyUsagePurpose::KeyEncipherment),
                _ => None,
            })
            .collect();
        params.extended_key_usages = csr
            .usages
            .iter()
            .filter_map(|u| match u.as_str() {
                "client auth" => Some(ExtendedKeyUsagePurpose::ClientAuth),
                "server auth" => Some(ExtendedKeyUsagePurpose::ServerAuth),
                _ => None,
            })
            .collect();
        let cert = request
            .signed_by(&self.issuer)
            .map_err(|e| format!("signing failed: {e}"))?;
        Ok(cert.pem())
    }
}

/// A positive 128-bit serial number.
fn random_serial() -> [u8; 16] {
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial).expect("the system random source works");
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    serial
}

fn signs(signer_name: &str) -> bool {
    matches!(signer_name, KUBELET_CLIENT_SIGNER | APISERVER_CLIENT_SIGNER)
}

pub fn sync(store: &Store, signer: &Signer, now: OffsetDateTime) -> Result<(), StoreError> {
    let csrs = resources::named(CERTIFICATES_GROUP, "certificatesigningrequests");
    for object in store.list(csrs, None).items {
        let pending = has_condition(&object, "Approved")
            && !has_condition(&object, "Failed")
            && object.pointer("/status/certificate").is_none();
        let signer_name = meta::str_field(&object, "/spec/signerName").unwrap_or("");
        if !pending || !signs(signer_name) {
            continue;
        }
        let expiration = object
            .pointer("/spec/expirationSeconds")
            .and_then(Value::as_i64);
        let outcome = Csr::read(&object)
            .map_err(|e| e.reason)
            .and_then(|csr| signer.sign(&csr, expiration, now));
        let mut next = object.clone();
        match outcome {
            Ok(pem) => next["status"]["certificate"] = json!(STANDARD.encode(pem)),
            Err(message) => {
                let stamp = meta::rfc3339(now);
                let mut conditions = object
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                conditions.push(json!({
                    "type": "Failed",
                    "status": "True",
                    "reason": "SignerValidationFailure",
                    "message": message,
                    "lastUpdateTime": stamp,
                    "lastTransitionTime": stamp,
                }));
                next["status"]["conditions"] = Value::Array(conditions);
            }
        }
        let name = meta::name(&object).unwrap_or("").to_string();
        match store.update(csrs, "", &name, next) {
            Ok(_) | Err(StoreError::Conflict { .. }) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
