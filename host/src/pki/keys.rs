//! Private keys: generated with aws-lc-rs (through rcgen) and written the way kubeadm writes them,
//! RSA as PKCS#1 `RSA PRIVATE KEY`, ECDSA as SEC1 `EC PRIVATE KEY` with the named curve.

use std::fmt;

use pkcs8::ObjectIdentifier;
use rcgen::{KeyPair, PublicKeyData, RsaKeySize};
use sec1::der::Encode;

use super::{PkiError, pem_block};
use crate::config::EncryptionAlgorithm;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

const RSA_PRIVATE_KEY: &str = "RSA PRIVATE KEY";
const EC_PRIVATE_KEY: &str = "EC PRIVATE KEY";
const PKCS8_PRIVATE_KEY: &str = "PRIVATE KEY";

/// A private key and its PEM form as kubeadm writes it. Never printed.
pub struct PrivateKey {
    pair: KeyPair,
    pem: String,
}

impl PrivateKey {
    /// A fresh key for `encryptionAlgorithm`.
    pub fn generate(algorithm: EncryptionAlgorithm) -> Result<Self, PkiError> {
        let failed = |e: rcgen::Error| PkiError::Generate {
            algorithm: algorithm.name(),
            reason: e.to_string(),
        };
        let pair = match algorithm {
            EncryptionAlgorithm::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)
            }
            EncryptionAlgorithm::Rsa3072 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_3072)
            }
            EncryptionAlgorithm::Rsa4096 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_4096)
            }
            EncryptionAlgorithm::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            EncryptionAlgorithm::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        }
        .map_err(failed)?;
        let pem = kubeadm_pem(&pair).map_err(|reason| PkiError::Generate {
            algorithm: algorithm.name(),
            reason,
        })?;
        Ok(PrivateKey { pair, pem })
    }

    /// Reads an RSA or ECDSA key in PKCS#1, SEC1 or PKCS#8 PEM (the forms kubeadm's loader accepts).
    pub fn from_pem(text: &[u8]) -> Result<Self, String> {
        let blocks = pem::parse_many(text).map_err(|e| format!("not PEM: {e}"))?;
        let block = blocks
            .iter()
            .find(|b| {
                matches!(
                    b.tag(),
                    RSA_PRIVATE_KEY | EC_PRIVATE_KEY | PKCS8_PRIVATE_KEY
                )
            })
            .ok_or("no RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY block found")?;
        let pair = KeyPair::try_from(block.contents()).map_err(|e| {
            format!(
                "the {} block is neither an RSA nor an ECDSA key: {e}",
                block.tag()
            )
        })?;
        let pem = String::from_utf8_lossy(text).into_owned();
        Ok(PrivateKey { pair, pem })
    }

    /// The key as it is (or would be) stored on disk.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn is_rsa(&self) -> bool {
        self.pair.algorithm() == &rcgen::PKCS_RSA_SHA256
    }

    /// The raw public key: the contents of a certificate's subjectPublicKey bit string.
    pub fn public_key_raw(&self) -> &[u8] {
        self.pair.public_key_raw()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn public_key_info(&self) -> Vec<u8> {
        self.pair.subject_public_key_info()
    }

    /// The public key as PKIX `PUBLIC KEY` PEM (kubeadm's `sa.pub`).
    pub fn public_key_pem(&self) -> String {
        pem_block("PUBLIC KEY", self.public_key_info())
    }

    pub(crate) fn key_pair(&self) -> &KeyPair {
        &self.pair
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", self.pair.algorithm())
            .finish_non_exhaustive()
    }
}

/// Re-encodes a freshly generated (PKCS#8) key as PKCS#1 or SEC1, as Go's x509 marshalers do.
fn kubeadm_pem(pair: &KeyPair) -> Result<String, String> {
    let info = pkcs8::PrivateKeyInfo::try_from(pair.serialized_der())
        .map_err(|e| format!("PKCS#8: {e}"))?;
    if info.algorithm.oid == RSA_ENCRYPTION {
        return Ok(pem_block(RSA_PRIVATE_KEY, info.private_key));
    }
    if info.algorithm.oid != EC_PUBLIC_KEY {
        return Err(format!("unexpected key algorithm {}", info.algorithm.oid));
    }
    let curve = info
        .algorithm
        .parameters_oid()
        .map_err(|e| format!("EC curve: {e}"))?;
    let mut ec =
        sec1::EcPrivateKey::try_from(info.private_key).map_err(|e| format!("SEC1: {e}"))?;
    // PKCS#8 carries the curve outside the SEC1 structure; openssl and Go expect it inside.
    ec.parameters = Some(sec1::EcParameters::NamedCurve(curve));
    if ec.public_key.is_none() {
        ec.public_key = Some(pair.public_key_raw());
    }
    let der = ec.to_der().map_err(|e| format!("SEC1: {e}"))?;
    Ok(pem_block(EC_PRIVATE_KEY, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_in_kubeadm_formats() {
        let cases = [
            (EncryptionAlgorithm::Rsa2048, RSA_PRIVATE_KEY, true),
            (EncryptionAlgorithm::EcdsaP256, EC_PRIVATE_KEY, false),
            (EncryptionAlgorithm::EcdsaP384, EC_PRIVATE_KEY, false),
        ];
        for (algorithm, tag, rsa) in cases {
            let key = PrivateKey::generate(algorithm).unwrap();
            let block = pem::parse(key.pem()).unwrap();
            assert_eq!(block.tag(), tag, "{algorithm:?}");
            assert_eq!(key.is_rsa(), rsa, "{algorithm:?}");
            assert!(
                key.pem().ends_with("-----\n") && !key.pem().contains('\r'),
                "{algorithm:?}"
            );
            let back = PrivateKey::from_pem(key.pem().as_bytes()).unwrap();
            assert_eq!(
                back.public_key_raw(),
                key.public_key_raw(),
                "{algorithm:?} round trip"
            );
        }
    }

    #[test]
    fn ec_keys_carry_their_named_curve() {
        let cases = [
            (EncryptionAlgorithm::EcdsaP256, "1.2.840.10045.3.1.7"),
            (EncryptionAlgorithm::EcdsaP384, "1.3.132.0.34"),
        ];
        for (algorithm, curve) in cases {
            let key = PrivateKey::generate(algorithm).unwrap();
            let block = pem::parse(key.pem()).unwrap();
            let ec = sec1::EcPrivateKey::try_from(block.contents()).unwrap();
            let Some(sec1::EcParameters::NamedCurve(oid)) = ec.parameters else {
                panic!("{algorithm:?}: no named curve in the SEC1 key");
            };
            assert_eq!(oid.to_string(), curve);
            assert_eq!(ec.public_key, Some(key.public_key_raw()));
        }
    }

    #[test]
    fn rsa_key_is_pkcs1_of_the_requested_size() {
        let key = PrivateKey::generate(EncryptionAlgorithm::Rsa3072).unwrap();
        let block = pem::parse(key.pem()).unwrap();
        // RSAPrivateKey ::= SEQUENCE { version 0, modulus n, ... }; a 3072-bit n is 384 bytes (+1 sign byte).
        let der = block.contents();
        assert_eq!(&der[4..7], &[0x02, 0x01, 0x00], "PKCS#1 version 0");
        assert_eq!(
            &der[7..11],
            &[0x02, 0x82, 0x01, 0x81],
            "modulus of 385 bytes"
        );
    }

    #[test]
    fn public_key_is_pkix() {
        let key = PrivateKey::generate(EncryptionAlgorithm::EcdsaP256).unwrap();
        assert!(
            key.public_key_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
    }

    #[test]
    fn from_pem_rejects_what_is_not_a_key() {
        let err =
            PrivateKey::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .unwrap_err();
        assert!(err.contains("no RSA PRIVATE KEY"), "{err}");
        let err = PrivateKey::from_pem(
            b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(err.contains("neither an RSA nor an ECDSA key"), "{err}");
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let key = PrivateKey::generate(EncryptionAlgorithm::EcdsaP256).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("BEGIN"), "{shown}");
    }
}
