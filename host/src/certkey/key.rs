//! The certificate key: 32 random bytes, written as 64 hex characters, the AES-256-GCM key the
//! `kubeadm-certs` Secret is encrypted with. Encrypted data is laid out as kubeadm lays it out:
//! nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
// Random bytes from the OS generator (ring), not aws-lc's jitter-seeded one (see pki::keys).
use ring::rand::{SecureRandom, SystemRandom};

use super::CertKeyError;

/// A certificate key. `Debug` hides it; [`CertificateKey::expose`] is the one way to print it.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateKey([u8; CertificateKey::SIZE]);

impl CertificateKey {
    /// kubeadm's `CertificateKeySize`: an AES-256 key.
    pub const SIZE: usize = 32;

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, CertKeyError> {
        let mut key = [0u8; Self::SIZE];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| CertKeyError::Random)?;
        Ok(CertificateKey(key))
    }

    /// The key as 64 lower-case hex characters, for where it is printed on purpose.
    pub fn expose(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("a 32-byte AES-256 key"))
    }

    /// Encrypts with a fresh random nonce: nonce ‖ ciphertext ‖ tag.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CertKeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CertKeyError::Random)?;
        let mut sealed = plaintext.to_vec();
        self.cipher()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| CertKeyError::Encrypt)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`CertificateKey::encrypt`] (or kubeadm) produced; a wrong key or a changed
    /// byte fails authentication.
    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, CertKeyError> {
        if data.len() < NONCE_LEN {
            return Err(CertKeyError::TooShort { len: data.len() });
        }
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).expect("the nonce is NONCE_LEN bytes");
        let mut in_out = sealed.to_vec();
        let plain_len = self
            .cipher()
            .open_in_place(nonce, Aad::empty(), &mut in_out)
            .map_err(|_| CertKeyError::Decrypt)?
            .len();
        in_out.truncate(plain_len);
        Ok(in_out)
    }
}

/// Parses `--certificate-key`: exactly 64 hex characters. The message describes the problem
/// without repeating the value, which may be a real key with a typo.
impl FromStr for CertificateKey {
    type Err = CertKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(position) = s.chars().position(|c| !c.is_ascii_hexdigit()) {
            return Err(CertKeyError::BadKey {
                problem: format!("character {} is not a hexadecimal digit", position + 1),
            });
        }
        if s.len() != 2 * Self::SIZE {
            return Err(CertKeyError::BadKey {
                problem: format!("it has {} characters", s.len()),
            });
        }
        let mut key = [0u8; Self::SIZE];
        hex::decode_to_slice(s, &mut key).expect("64 hex digits decode to 32 bytes");
        Ok(CertificateKey(key))
    }
}

impl fmt::Debug for CertificateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CertificateKey(<redacted>)")
    }
}
