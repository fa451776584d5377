//! CA public-key pins (`--discovery-token-ca-cert-hash sha256:<hex>`): the SHA-256 of the CA
//! certificate's DER SubjectPublicKeyInfo.

use std::fmt;
use std::str::FromStr;

use super::PkiError;
use super::x509::Certificate;

/// A pin on a CA's public key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CaPin([u8; 32]);

impl CaPin {
    /// The pin of `ca`'s public key.
    pub fn of(ca: &Certificate) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &ca.public_key_info());
        CaPin(digest.as_ref().try_into().expect("SHA-256 is 32 bytes"))
    }

    pub fn matches(&self, ca: &Certificate) -> bool {
        *self == CaPin::of(ca)
    }
}

/// `sha256:` followed by lower-case hex, as kubeadm prints it.
impl fmt::Display for CaPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

/// Parses `sha256:<64 hex digits>`, case-insensitively (as kubeadm accepts them).
impl FromStr for CaPin {
    type Err = PkiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PkiError::BadPin {
            input: s.to_string(),
        };
        let (kind, digest) = s.split_once(':').ok_or_else(bad)?;
        if !kind.eq_ignore_ascii_case("sha256") || digest.len() != 64 {
            return Err(bad());
        }
        let bytes = hex::decode(digest).map_err(|_| bad())?;
        Ok(CaPin(bytes.try_into().map_err(|_| bad())?))
    }
}

/// The pin of every CA certificate in a PEM bundle (such as a kubeconfig's CA data), in order.
pub fn ca_pins(ca_pem: &[u8]) -> Result<Vec<CaPin>, String> {
    Ok(Certificate::from_pem_bundle(ca_pem)?
        .iter()
        .map(CaPin::of)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_kubeadms_form_in_either_case() {
        let hex = "181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
        let pin: CaPin = format!("sha256:{hex}").parse().unwrap();
        assert_eq!(pin.to_string(), format!("sha256:{hex}"));
        let upper: CaPin = format!("SHA256:{}", hex.to_uppercase()).parse().unwrap();
        assert_eq!(upper, pin);
    }

    #[test]
    fn parse_rejects_other_forms() {
        for bad in [
            "181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1",
            "sha1:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1",
            "sha256:181ea3",
            "sha256:zz1ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1",
        ] {
            let err = bad.parse::<CaPin>().unwrap_err();
            assert!(err.to_string().contains("is not a CA pin"), "{bad}: {err}");
        }
    }
}
