//! Whether a plugin file may run: its sha256 against the operator's pin, its minisign
//! signature against the operator's trusted keys. Unpinned, unsigned files run only when
//! the caller allows it (`--allow-unsigned-plugins`).

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use aws_lc_rs::digest;

use super::seal::Stamp;
use crate::config::plugins::TrustedKey;
use crate::config::{open_bounded, read_bounded, read_opened};

/// The largest plugin file read: components are hundreds of KiB; even a language runtime in
/// one stays well below this.
pub const MAX_PLUGIN_BYTES: u64 = 64 << 20;

/// The largest signature file read: a minisign signature is a few hundred bytes.
const MAX_SIGNATURE_BYTES: u64 = 64 << 10;

/// A sha256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    pub fn of(bytes: &[u8]) -> Self {
        let d = digest::digest(&digest::SHA256, bytes);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Digest(out)
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The digest a 64-digit hex string spells, if it spells one.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Digest(out))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

/// Why a plugin file is not trusted.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error("{} has sha256 {actual}, but the PluginConfiguration pins {expected}", file.display())]
    DigestMismatch {
        plugin: String,
        file: PathBuf,
        expected: String,
        actual: Digest,
    },
    #[error("{}: the signature {} is not valid for any trusted key: {reason}", file.display(), signature.display())]
    BadSignature {
        plugin: String,
        file: PathBuf,
        signature: PathBuf,
        reason: String,
    },
    #[error(
        "{} is neither pinned nor signed; add \"sha256: {digest}\" to the plugin in the PluginConfiguration, sign it with a trusted key, or pass --allow-unsigned-plugins",
        file.display()
    )]
    Unsigned {
        plugin: String,
        file: PathBuf,
        digest: Digest,
    },
}

impl IntegrityError {
    pub fn plugin(&self) -> &str {
        match self {
            IntegrityError::DigestMismatch { plugin, .. }
            | IntegrityError::BadSignature { plugin, .. }
            | IntegrityError::Unsigned { plugin, .. } => plugin,
        }
    }
}

/// What a signature file says about a plugin file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureStatus {
    /// No signature file.
    Missing,
    /// Verified with the trusted key `key`; `comment` is the signer's trusted comment.
    Valid { key: String, comment: String },
    /// Present but not valid for any trusted key (or malformed).
    Invalid { reason: String },
}

impl fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureStatus::Missing => f.write_str("unsigned"),
            SignatureStatus::Valid { key, .. } => write!(f, "signed by {key}"),
            SignatureStatus::Invalid { reason } => write!(f, "invalid signature: {reason}"),
        }
    }
}

/// Why a plugin file was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Its sha256 matches the pin (and it has no signature, or a valid one).
    Pinned { signed_by: Option<String> },
    /// A trusted key signed it.
    Signed { key: String },
    /// Neither, accepted because the caller allowed unsigned plugins.
    AllowedUnsigned,
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trust::Pinned { signed_by: None } => f.write_str("pinned by sha256"),
            Trust::Pinned {
                signed_by: Some(key),
            } => write!(f, "pinned by sha256, signed by {key}"),
            Trust::Signed { key } => write!(f, "signed by {key}"),
            Trust::AllowedUnsigned => f.write_str("unsigned, allowed by --allow-unsigned-plugins"),
        }
    }
}

/// Checks a minisign signature (the text of a `.minisig` file) against every trusted key.
pub fn check_signature(bytes: &[u8], signature: &str, keys: &[TrustedKey]) -> SignatureStatus {
    let sig = match minisign_verify::Signature::decode(signature) {
        Ok(sig) => sig,
        Err(e) => {
            return SignatureStatus::Invalid {
                reason: format!("not a minisign signature ({e})"),
            };
        }
    };
    if keys.is_empty() {
        return SignatureStatus::Invalid {
            reason: "no trustedKeys are configured".into(),
        };
    }
    let mut reasons = Vec::new();
    for key in keys {
        let verdict = minisign_verify::PublicKey::from_base64(key.public_key.trim())
            .and_then(|pk| pk.verify(bytes, &sig, false));
        match verdict {
            Ok(()) => {
                return SignatureStatus::Valid {
                    key: key.name.clone(),
                    comment: sig.trusted_comment().to_string(),
                };
            }
            Err(e) => reasons.push(format!("{}: {e}", key.name)),
        }
    }
    SignatureStatus::Invalid {
        reason: reasons.join(", "),
    }
}

/// A plugin file and what its digest and signature say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub file: PathBuf,
    pub digest: Digest,
    pub signature_file: PathBuf,
    pub signature: SignatureStatus,
    /// The digest is the one the compile cache recorded for the file as it still is (same
    /// device, inode, size, mtime and ctime): the file was not read.
    pub recorded: bool,
}

/// A verified plugin file's contents: read, or not read because its digest was recorded for
/// the file as it still is. Only compiling needs the bytes: an unread file is read then, and
/// must still have the verified digest.
pub enum Wasm {
    Read(Vec<u8>),
    Unread(PathBuf),
}

impl Wasm {
    /// The bytes, whose sha256 is `digest`.
    pub fn bytes(&self, digest: &Digest) -> std::io::Result<Cow<'_, [u8]>> {
        match self {
            Wasm::Read(bytes) => Ok(Cow::Borrowed(bytes)),
            Wasm::Unread(file) => {
                let bytes = read_plugin_file(file)?;
                let now = Digest::of(&bytes);
                if now != *digest {
                    return Err(std::io::Error::other(format!(
                        "it changed while it was being loaded: its sha256 is now {now}, not {digest}"
                    )));
                }
                Ok(Cow::Owned(bytes))
            }
        }
    }
}

/// Filesystems whose timestamps only this kernel sets (`statfs` magic numbers): ext2/3/4, XFS,
/// Btrfs, tmpfs, overlayfs, F2FS, SquashFS, EROFS, ZFS and ramfs. There, any write or
/// replacement gives a file a new ctime that no process can set back. On the others (FUSE,
/// NFS, CIFS) a server answers `stat`, and could keep a stamp while the contents change.
const STAMPED_FILESYSTEMS: &[i64] = &[
    0xEF53,
    0x5846_5342,
    0x9123_683E,
    0x0102_1994,
    0x794C_7630,
    0xF2F5_2010,
    0x7371_7368,
    0xE0F5_E1E2,
    0x2FC1_2FC1,
    0x8584_58F6,
];

/// Whether a stamp on the filesystem of `f_type` stands for a file's contents.
pub fn stamped_filesystem(f_type: i64) -> bool {
    STAMPED_FILESYSTEMS.contains(&f_type)
}

/// What the regular file at `path` looks like now, if it is on a filesystem whose stamps
/// stand for contents (`stamped_filesystem`).
pub fn trusted_stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    let on = rustix::fs::statfs(path).ok()?;
    (meta.is_file() && stamped_filesystem(on.f_type)).then(|| Stamp::of(&meta))
}

/// A plugin file's bytes, and what it looked like if that stamp stands for these bytes: on a
/// filesystem of `stamped_filesystem`, and the same before and after reading.
pub fn read_plugin_file_stamped(file: &Path) -> std::io::Result<(Vec<u8>, Option<Stamp>)> {
    let (opened, before) = open_bounded(file, MAX_PLUGIN_BYTES)?;
    let bytes = read_opened(&opened, &before, MAX_PLUGIN_BYTES)?;
    let after = opened.metadata()?;
    let stamp = Stamp::of(&before);
    let stands = stamp == Stamp::of(&after)
        && rustix::fs::fstatfs(&opened).is_ok_and(|on| stamped_filesystem(on.f_type));
    Ok((bytes, stands.then_some(stamp)))
}

/// The signature file of `file` when the configuration names none: `<file>.minisig`.
pub fn default_signature_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

/// A plugin file's bytes: a regular file of at most [`MAX_PLUGIN_BYTES`].
pub fn read_plugin_file(file: &Path) -> std::io::Result<Vec<u8>> {
    read_bounded(file, MAX_PLUGIN_BYTES)
}

/// Verifies `bytes` (read from `file`) with the signature file at `signature_file`. A missing
/// default signature file means unsigned; one the configuration names (`configured`) must exist.
pub fn verify_bytes(
    file: &Path,
    bytes: &[u8],
    signature_file: &Path,
    configured: bool,
    keys: &[TrustedKey],
) -> std::io::Result<Verification> {
    let signature = match read_bounded(signature_file, MAX_SIGNATURE_BYTES) {
        Ok(text) => match String::from_utf8(text) {
            Ok(text) => check_signature(bytes, &text, keys),
            Err(_) => SignatureStatus::Invalid {
                reason: "not a minisign signature (not UTF-8 text)".into(),
            },
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && configured => {
            return Err(std::io::Error::new(
                e.kind(),
                "the PluginConfiguration names it as the plugin's signature, but there is no such file",
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SignatureStatus::Missing,
        Err(e) => return Err(e),
    };
    Ok(Verification {
        file: file.to_path_buf(),
        digest: Digest::of(bytes),
        signature_file: signature_file.to_path_buf(),
        signature,
        recorded: false,
    })
}

/// `kubeadm-rs plugin verify FILE`: the digest of `file` and the status of `<file>.minisig`.
pub fn verify_file(file: &Path, keys: &[TrustedKey]) -> std::io::Result<Verification> {
    let bytes = read_plugin_file(file)?;
    verify_bytes(file, &bytes, &default_signature_path(file), false, keys)
}

impl Verification {
    /// The verdict for a plugin with this sha256 pin: a wrong pin or a bad signature is always
    /// refused; with neither a pin nor a valid signature, only `allow_unsigned` admits it.
    pub fn judge(
        &self,
        plugin: &str,
        pin: Option<&str>,
        allow_unsigned: bool,
    ) -> Result<Trust, IntegrityError> {
        if let Some(pin) = pin
            && !pin.eq_ignore_ascii_case(&self.digest.hex())
        {
            return Err(IntegrityError::DigestMismatch {
                plugin: plugin.to_string(),
                file: self.file.clone(),
                expected: pin.to_ascii_lowercase(),
                actual: self.digest,
            });
        }
        let signed_by = match &self.signature {
            SignatureStatus::Invalid { reason } => {
                return Err(IntegrityError::BadSignature {
                    plugin: plugin.to_string(),
                    file: self.file.clone(),
                    signature: self.signature_file.clone(),
                    reason: reason.clone(),
                });
            }
            SignatureStatus::Valid { key, .. } => Some(key.clone()),
            SignatureStatus::Missing => None,
        };
        match (pin, signed_by) {
            (Some(_), signed_by) => Ok(Trust::Pinned { signed_by }),
            (None, Some(key)) => Ok(Trust::Signed { key }),
            (None, None) if allow_unsigned => Ok(Trust::AllowedUnsigned),
            (None, None) => Err(IntegrityError::Unsigned {
                plugin: plugin.to_string(),
                file: self.file.clone(),
                digest: self.digest,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
