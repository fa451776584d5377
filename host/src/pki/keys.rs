//! Private keys, written the way kubeadm writes them: RSA as PKCS#1 `RSA PRIVATE KEY`, ECDSA as
//! SEC1 `EC PRIVATE KEY` with the named curve. ECDSA keys are made and used through ring, whose
//! keys and signature nonces come straight from the OS generator (getrandom); aws-lc seeds its
//! own generator with ~25 ms of CPU-jitter sampling on first use, so only RSA (which ring cannot
//! generate) goes through aws-lc, and only a run that asks for RSA pays that.

use std::fmt;

use pkcs8::ObjectIdentifier;
use rcgen::{KeyPair, PublicKeyData, RsaKeySize, SignatureAlgorithm, SigningKey};
use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _};
use sec1::der::Encode;

use super::{PkiError, pem_block};
use crate::config::EncryptionAlgorithm;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

const RSA_PRIVATE_KEY: &str = "RSA PRIVATE KEY";
const EC_PRIVATE_KEY: &str = "EC PRIVATE KEY";
const PKCS8_PRIVATE_KEY: &str = "PRIVATE KEY";

/// A private key and its PEM form as kubeadm writes it. Never printed.
pub struct PrivateKey {
    signer: Signer,
    pem: String,
}

enum Signer {
    /// ECDSA through ring, on the OS generator.
    Ecdsa {
        pair: EcdsaKeyPair,
        algorithm: &'static SignatureAlgorithm,
    },
    /// RSA through aws-lc (by way of rcgen).
    Rsa(KeyPair),
}

/// The ECDSA curves kubeadm offers, as ring and rcgen name them.
struct Curve {
    oid: ObjectIdentifier,
    ring: &'static EcdsaSigningAlgorithm,
    rcgen: &'static SignatureAlgorithm,
}

static P256: Curve = Curve {
    oid: SECP256R1,
    ring: &ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
    rcgen: &rcgen::PKCS_ECDSA_P256_SHA256,
};
static P384: Curve = Curve {
    oid: SECP384R1,
    ring: &ring_sig::ECDSA_P384_SHA384_ASN1_SIGNING,
    rcgen: &rcgen::PKCS_ECDSA_P384_SHA384,
};

impl Curve {
    fn of(oid: ObjectIdentifier) -> Option<&'static Curve> {
        [&P256, &P384].into_iter().find(|c| c.oid == oid)
    }
}

impl PrivateKey {
    /// A fresh key for `encryptionAlgorithm`.
    pub fn generate(algorithm: EncryptionAlgorithm) -> Result<Self, PkiError> {
        let failed = |reason: String| PkiError::Generate {
            algorithm: algorithm.name(),
            reason,
        };
        let rsa = |size| {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
                .map_err(|e| failed(e.to_string()))
        };
        let pair = match algorithm {
            EncryptionAlgorithm::Rsa2048 => rsa(RsaKeySize::_2048)?,
            EncryptionAlgorithm::Rsa3072 => rsa(RsaKeySize::_3072)?,
            EncryptionAlgorithm::Rsa4096 => rsa(RsaKeySize::_4096)?,
            EncryptionAlgorithm::EcdsaP256 => return Self::generate_ecdsa(&P256).map_err(failed),
            EncryptionAlgorithm::EcdsaP384 => return Self::generate_ecdsa(&P384).map_err(failed),
        };
        let info = pkcs8::PrivateKeyInfo::try_from(pair.serialized_der())
            .map_err(|e| failed(format!("PKCS#8: {e}")))?;
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(failed(format!(
                "unexpected key algorithm {}",
                info.algorithm.oid
            )));
        }
        Ok(PrivateKey {
            pem: pem_block(RSA_PRIVATE_KEY, info.private_key),
            signer: Signer::Rsa(pair),
        })
    }

    fn generate_ecdsa(curve: &Curve) -> Result<Self, String> {
        let rng = SystemRandom::new();
        let document = EcdsaKeyPair::generate_pkcs8(curve.ring, &rng)
            .map_err(|_| "the system random number generator failed".to_string())?;
        let pair = EcdsaKeyPair::from_pkcs8(curve.ring, document.as_ref(), &rng)
            .map_err(|e| format!("ring rejected its own key: {e}"))?;
        let info = pkcs8::PrivateKeyInfo::try_from(document.as_ref())
            .map_err(|e| format!("PKCS#8: {e}"))?;
        let pem = sec1_pem(info.private_key, curve, pair.public_key().as_ref())?;
        Ok(PrivateKey {
            signer: Signer::Ecdsa {
                pair,
                algorithm: curve.rcgen,
            },
            pem,
        })
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
        let neither = |e: String| {
            format!(
                "the {} block is neither an RSA nor an ECDSA key: {e}",
                block.tag()
            )
        };
        let signer = match ecdsa_parts(block.tag(), block.contents()).map_err(neither)? {
            Some((curve, ec)) => Signer::Ecdsa {
                pair: ecdsa_pair(curve, &ec, block.contents()).map_err(neither)?,
                algorithm: curve.rcgen,
            },
            None => Signer::Rsa(
                KeyPair::try_from(block.contents()).map_err(|e| neither(e.to_string()))?,
            ),
        };
        let pem = String::from_utf8_lossy(text).into_owned();
        Ok(PrivateKey { signer, pem })
    }

    /// The key as it is (or would be) stored on disk.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn is_rsa(&self) -> bool {
        matches!(self.signer, Signer::Rsa(_))
    }

    /// The raw public key: the contents of a certificate's subjectPublicKey bit string.
    pub fn public_key_raw(&self) -> &[u8] {
        self.der_bytes()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn public_key_info(&self) -> Vec<u8> {
        self.subject_public_key_info()
    }

    /// The public key as PKIX `PUBLIC KEY` PEM (kubeadm's `sa.pub`).
    pub fn public_key_pem(&self) -> String {
        pem_block("PUBLIC KEY", self.public_key_info())
    }
}

impl PublicKeyData for PrivateKey {
    fn der_bytes(&self) -> &[u8] {
        match &self.signer {
            Signer::Ecdsa { pair, .. } => pair.public_key().as_ref(),
            Signer::Rsa(pair) => pair.der_bytes(),
        }
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match &self.signer {
            Signer::Ecdsa { algorithm, .. } => algorithm,
            Signer::Rsa(pair) => pair.algorithm(),
        }
    }
}

impl SigningKey for PrivateKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match &self.signer {
            Signer::Ecdsa { pair, .. } => pair
                .sign(&SystemRandom::new(), msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| rcgen::Error::RingUnspecified),
            Signer::Rsa(pair) => pair.sign(msg),
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", self.algorithm())
            .finish_non_exhaustive()
    }
}

/// The curve and SEC1 structure of an ECDSA key block, `None` for anything else (RSA).
fn ecdsa_parts<'a>(
    tag: &str,
    der: &'a [u8],
) -> Result<Option<(&'static Curve, sec1::EcPrivateKey<'a>)>, String> {
    let unknown_curve = |oid: ObjectIdentifier| format!("unsupported elliptic curve {oid}");
    match tag {
        EC_PRIVATE_KEY => {
            let ec = sec1::EcPrivateKey::try_from(der).map_err(|e| format!("SEC1: {e}"))?;
            let Some(sec1::EcParameters::NamedCurve(oid)) = ec.parameters else {
                return Err("SEC1 key without a named curve".into());
            };
            let curve = Curve::of(oid).ok_or_else(|| unknown_curve(oid))?;
            Ok(Some((curve, ec)))
        }
        PKCS8_PRIVATE_KEY => {
            let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| format!("PKCS#8: {e}"))?;
            if info.algorithm.oid != EC_PUBLIC_KEY {
                return Ok(None);
            }
            let oid = info
                .algorithm
                .parameters_oid()
                .map_err(|e| format!("EC curve: {e}"))?;
            let curve = Curve::of(oid).ok_or_else(|| unknown_curve(oid))?;
            let ec =
                sec1::EcPrivateKey::try_from(info.private_key).map_err(|e| format!("SEC1: {e}"))?;
            Ok(Some((curve, ec)))
        }
        _ => Ok(None),
    }
}

/// A ring key pair from a parsed SEC1 key. ring needs the public point, which Go and openssl
/// always write; a key without one has it derived by aws-lc (a parse, no random numbers).
fn ecdsa_pair(
    curve: &Curve,
    ec: &sec1::EcPrivateKey<'_>,
    der: &[u8],
) -> Result<EcdsaKeyPair, String> {
    let derived;
    let public = match ec.public_key {
        Some(public) => public,
        None => {
            derived = KeyPair::try_from(der).map_err(|e| e.to_string())?;
            derived.public_key_raw()
        }
    };
    EcdsaKeyPair::from_private_key_and_public_key(
        curve.ring,
        ec.private_key,
        public,
        &SystemRandom::new(),
    )
    .map_err(|e| e.to_string())
}

/// The SEC1 `EC PRIVATE KEY` PEM of a key, with its named curve and public point inside, as
/// Go's x509.MarshalECPrivateKey writes it (PKCS#8 carries the curve outside).
fn sec1_pem<'a>(sec1_der: &'a [u8], curve: &Curve, public: &'a [u8]) -> Result<String, String> {
    let mut ec = sec1::EcPrivateKey::try_from(sec1_der).map_err(|e| format!("SEC1: {e}"))?;
    ec.parameters = Some(sec1::EcParameters::NamedCurve(curve.oid));
    ec.public_key = Some(public);
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
