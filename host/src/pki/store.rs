//! The certificates directory on the node: creating what is missing, and keeping what is there
//! only after checking it as kubeadm does (never replacing it silently).

use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use super::PkiError;
use super::certlist::{CertSpec, Usage};
use super::issue::Authority;
use super::keys::PrivateKey;
use super::pool::KeyPool;
use super::x509::{Certificate, rfc3339};
use crate::config::{EncryptionAlgorithm, InitConfig};
use crate::node::NodeRoot;

/// Certificates are world-readable, private keys are not (client-go's certutil/keyutil modes).
pub const CERT_MODE: u32 = 0o644;
pub const KEY_MODE: u32 = 0o600;

const DEFAULT_CERT_VALIDITY: Duration = Duration::from_secs(8760 * 3600);
const DEFAULT_CA_VALIDITY: Duration = Duration::from_secs(87600 * 3600);

pub const SERVICE_ACCOUNT_KEY: &str = "sa.key";
pub const SERVICE_ACCOUNT_PUBLIC_KEY: &str = "sa.pub";

/// A certificate's key, and whether it was already on disk.
struct KeyForCert {
    key: PrivateKey,
    existing: bool,
}

/// The PKI of one node, under `certificatesDir`.
pub struct Pki<'a> {
    root: &'a NodeRoot,
    cfg: &'a InitConfig,
    pool: &'a KeyPool,
    dir: PathBuf,
}

impl<'a> Pki<'a> {
    pub fn new(root: &'a NodeRoot, cfg: &'a InitConfig, pool: &'a KeyPool) -> Self {
        Pki {
            root,
            cfg,
            pool,
            dir: PathBuf::from(cfg.cert_dir()),
        }
    }

    pub fn cert_path(&self, spec: &CertSpec) -> PathBuf {
        self.dir.join(format!("{}.crt", spec.base_name))
    }

    pub fn key_path(&self, spec: &CertSpec) -> PathBuf {
        self.dir.join(format!("{}.key", spec.base_name))
    }

    fn algorithm(&self) -> EncryptionAlgorithm {
        self.cfg.encryption_algorithm()
    }

    /// `certificateValidityPeriod`.
    pub fn cert_validity(&self) -> Duration {
        self.cfg
            .cluster
            .certificate_validity_period
            .map_or(DEFAULT_CERT_VALIDITY, |d| d.0)
    }

    fn ca_validity(&self) -> Duration {
        self.cfg
            .cluster
            .ca_certificate_validity_period
            .map_or(DEFAULT_CA_VALIDITY, |d| d.0)
    }

    fn show(path: &Path) -> String {
        path.display().to_string()
    }

    /// The certificates in a file (a bundle's first is the leaf), or `None` if it is absent.
    pub fn read_certs(&self, path: &Path) -> Result<Option<Vec<Certificate>>, PkiError> {
        let Some(bytes) = self.root.read(path)? else {
            return Ok(None);
        };
        Certificate::from_pem_bundle(&bytes)
            .map(Some)
            .map_err(|reason| PkiError::Unreadable {
                path: Self::show(path),
                reason,
            })
    }

    pub fn read_key(&self, path: &Path) -> Result<Option<PrivateKey>, PkiError> {
        let Some(bytes) = self.root.read(path)? else {
            return Ok(None);
        };
        PrivateKey::from_pem(&bytes)
            .map(Some)
            .map_err(|reason| PkiError::Unreadable {
                path: Self::show(path),
                reason,
            })
    }

    /// Loads the CA certificate `spec`, which must exist.
    pub fn ca_cert(&self, spec: &CertSpec) -> Result<Certificate, PkiError> {
        let path = self.cert_path(spec);
        let certs = self.read_certs(&path)?.ok_or_else(|| PkiError::CaMissing {
            missing: Self::show(&path),
            phase: spec.name.to_string(),
        })?;
        let cert = certs
            .into_iter()
            .next()
            .expect("a bundle has at least one certificate");
        check_ca(&cert, &path)?;
        Ok(cert)
    }

    /// The CA `spec` with its key, or `None` for a keyless (external) CA.
    pub fn authority(&self, spec: &CertSpec) -> Result<Option<Authority>, PkiError> {
        let cert = self.ca_cert(spec)?;
        let key_path = self.key_path(spec);
        let Some(key) = self.read_key(&key_path)? else {
            return Ok(None);
        };
        check_key_matches(&cert, &key, &self.cert_path(spec), &key_path)?;
        Ok(Some(Authority { cert, key }))
    }

    /// Creates the CA `spec` unless it exists; an existing one is checked and kept, and one
    /// without its key puts its certificates in external CA mode.
    pub fn ensure_ca(&self, spec: &CertSpec) -> Result<(), PkiError> {
        let (cert_path, key_path) = (self.cert_path(spec), self.key_path(spec));
        let events = self.root.events();
        if self.root.exists(&cert_path)? {
            match self.authority(spec)? {
                Some(_) => {
                    self.root.report_kept(&cert_path)?;
                    self.root.report_kept(&key_path)?;
                    events.info(format!(
                        "[certs] Using existing {} certificate authority",
                        spec.base_name
                    ));
                }
                None => {
                    self.root.report_kept(&cert_path)?;
                    events.info(format!(
                        "[certs] External CA mode: {} has no key {}; using it as a keyless certificate authority, \
                         the certificates it signs must already exist and none are generated",
                        Self::show(&cert_path),
                        Self::show(&key_path)
                    ));
                }
            }
            return Ok(());
        }
        let (config, _) = spec.config(self.cfg);
        let key = self.key_for(spec, &key_path)?;
        let ca = Authority::self_signed(&config, key.key, self.ca_validity())?;
        events.info(format!(
            "[certs] Generating {:?} certificate{}",
            spec.base_name,
            if key.existing { "" } else { " and key" }
        ));
        // The key first, as kubeadm does: a certificate is never left without its key.
        if !key.existing {
            self.root
                .write(&key_path, ca.key.pem().as_bytes(), KEY_MODE)?;
        }
        self.root
            .write(&cert_path, ca.cert.to_pem().as_bytes(), CERT_MODE)?;
        Ok(())
    }

    /// The key for a certificate about to be made: a key already there without its
    /// certificate is what an interrupted run leaves between writing the two, so it is used
    /// (a certificate signed by a reused CA key still verifies); otherwise a new one.
    fn key_for(&self, spec: &CertSpec, key_path: &Path) -> Result<KeyForCert, PkiError> {
        if let Some(key) = self.read_key(key_path)? {
            self.root.report_kept(key_path)?;
            self.root.events().info(format!(
                "[certs] Using the existing {} key, found without its certificate",
                spec.base_name
            ));
            return Ok(KeyForCert {
                key,
                existing: true,
            });
        }
        Ok(KeyForCert {
            key: self.pool.take(&Self::show(key_path), self.algorithm())?,
            existing: false,
        })
    }

    /// Creates the certificate `spec`, signed by its CA, unless it exists; an existing one must
    /// match its key, chain to the CA, be within its validity and carry the required SANs.
    pub fn ensure_cert(&self, spec: &CertSpec) -> Result<(), PkiError> {
        let ca_spec = spec
            .ca
            .expect("ensure_cert is for certificates signed by a CA");
        let (cert_path, key_path) = (self.cert_path(spec), self.key_path(spec));
        let events = self.root.events();
        let (config, warnings) = spec.config(self.cfg);
        for w in warnings {
            events.warn(w);
        }

        if let Some(certs) = self.read_certs(&cert_path)? {
            let ca = self.ca_cert(ca_spec)?;
            let key = self
                .read_key(&key_path)?
                .ok_or_else(|| PkiError::Incomplete {
                    present: Self::show(&cert_path),
                    missing: Self::show(&key_path),
                })?;
            let (leaf, intermediates) = certs
                .split_first()
                .expect("a bundle has at least one certificate");
            check_key_matches(leaf, &key, &cert_path, &key_path)?;
            if !leaf.chains_to(intermediates, &ca) {
                return Err(PkiError::NotSignedByCa {
                    path: Self::show(&cert_path),
                    ca: Self::show(&self.cert_path(ca_spec)),
                });
            }
            check_period(leaf, &cert_path)?;
            check_sans(leaf, &config.alt_names, &cert_path)?;
            self.root.report_kept(&cert_path)?;
            self.root.report_kept(&key_path)?;
            events.info(format!(
                "[certs] Using existing {} certificate and key on disk",
                spec.base_name
            ));
            return Ok(());
        }

        let Some(ca) = self.authority(ca_spec)? else {
            return Err(PkiError::ExternalCaLeafMissing {
                path: Self::show(&cert_path),
                ca_cert: Self::show(&self.cert_path(ca_spec)),
                ca_key: Self::show(&self.key_path(ca_spec)),
            });
        };
        let key = self.key_for(spec, &key_path)?;
        let cert = ca.issue(&config, &key.key, self.cert_validity())?;
        events.info(format!(
            "[certs] Generating {:?} certificate{}",
            spec.base_name,
            if key.existing { "" } else { " and key" }
        ));
        if config.usages.contains(&Usage::ServerAuth) {
            events.info(format!(
                "[certs] {} serving cert is signed for DNS names [{}] and IPs [{}]",
                spec.base_name,
                config.alt_names.dns.join(" "),
                config
                    .alt_names
                    .ips
                    .iter()
                    .map(|ip| ip.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        if !key.existing {
            self.root
                .write(&key_path, key.key.pem().as_bytes(), KEY_MODE)?;
        }
        self.root
            .write(&cert_path, cert.to_pem().as_bytes(), CERT_MODE)?;
        Ok(())
    }

    /// Creates the service account signing key pair (`sa.key`, `sa.pub`) unless it exists.
    pub fn ensure_service_account_key(&self) -> Result<(), PkiError> {
        let key_path = self.dir.join(SERVICE_ACCOUNT_KEY);
        let pub_path = self.dir.join(SERVICE_ACCOUNT_PUBLIC_KEY);
        let events = self.root.events();
        match (self.read_key(&key_path)?, self.root.read(&pub_path)?) {
            (Some(key), Some(public)) => {
                if !pem_has_public_key(&public, &key) {
                    return Err(PkiError::ServiceAccountMismatch {
                        key: Self::show(&key_path),
                        public: Self::show(&pub_path),
                    });
                }
                self.root.report_kept(&key_path)?;
                self.root.report_kept(&pub_path)?;
                events.info("[certs] Using the existing \"sa\" key");
            }
            (Some(key), None) => {
                // The public half is derived data; writing it replaces nothing.
                self.root.report_kept(&key_path)?;
                self.root
                    .write(&pub_path, key.public_key_pem().as_bytes(), KEY_MODE)?;
                events.info("[certs] Using the existing \"sa\" key");
            }
            (None, Some(_)) => {
                return Err(PkiError::ServiceAccountIncomplete {
                    path: Self::show(&pub_path),
                    missing: Self::show(&key_path),
                });
            }
            (None, None) => {
                let key = self.pool.take(&Self::show(&key_path), self.algorithm())?;
                events.info("[certs] Generating \"sa\" key and public key");
                self.root.write(&key_path, key.pem().as_bytes(), KEY_MODE)?;
                // keyutil writes the public key with the private key's mode, as kubeadm does.
                self.root
                    .write(&pub_path, key.public_key_pem().as_bytes(), KEY_MODE)?;
            }
        }
        Ok(())
    }

    /// The key files `ensure_*` would generate for `specs` (and `sa.key`), to fill the key pool.
    pub fn pending_keys(
        &self,
        specs: &[&CertSpec],
        service_account: bool,
    ) -> Result<Vec<String>, PkiError> {
        let absent = |spec: &CertSpec| -> Result<bool, PkiError> {
            Ok(!self.root.exists(self.cert_path(spec))?
                && !self.root.exists(self.key_path(spec))?)
        };
        let mut ids = Vec::new();
        for spec in specs {
            let signer_ready = match spec.ca {
                None => true,
                Some(ca) => self.root.exists(self.key_path(ca))? || absent(ca)?,
            };
            if signer_ready && absent(spec)? {
                ids.push(Self::show(&self.key_path(spec)));
            }
        }
        if service_account {
            let (key, public) = (
                self.dir.join(SERVICE_ACCOUNT_KEY),
                self.dir.join(SERVICE_ACCOUNT_PUBLIC_KEY),
            );
            if !self.root.exists(&key)? && !self.root.exists(&public)? {
                ids.push(Self::show(&key));
            }
        }
        Ok(ids)
    }
}

fn check_ca(cert: &Certificate, path: &Path) -> Result<(), PkiError> {
    if !cert.is_ca() {
        return Err(PkiError::NotCa {
            path: path.display().to_string(),
        });
    }
    check_period(cert, path)
}

/// Whether the certificate is valid now.
fn check_period(cert: &Certificate, path: &Path) -> Result<(), PkiError> {
    let now = OffsetDateTime::now_utc();
    if now > cert.not_after() {
        return Err(PkiError::Expired {
            path: path.display().to_string(),
            not_after: rfc3339(cert.not_after()),
        });
    }
    if now < cert.not_before() {
        return Err(PkiError::NotYetValid {
            path: path.display().to_string(),
            not_before: rfc3339(cert.not_before()),
        });
    }
    Ok(())
}

fn check_key_matches(
    cert: &Certificate,
    key: &PrivateKey,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), PkiError> {
    if cert.public_key_raw() != key.public_key_raw() {
        return Err(PkiError::KeyMismatch {
            cert: cert_path.display().to_string(),
            key: key_path.display().to_string(),
        });
    }
    Ok(())
}

/// upstream `validateCertificateWithConfig`: every configured SAN must verify.
fn check_sans(cert: &Certificate, want: &super::AltNames, path: &Path) -> Result<(), PkiError> {
    let missing = want
        .dns
        .iter()
        .find(|d| !cert.covers_dns(d))
        .cloned()
        .or_else(|| {
            want.ips
                .iter()
                .find(|ip| !cert.covers_ip(**ip))
                .map(|ip| ip.to_string())
        });
    match missing {
        Some(name) => Err(PkiError::MissingSan {
            path: path.display().to_string(),
            name,
        }),
        None => Ok(()),
    }
}

fn pem_has_public_key(public_pem: &[u8], key: &PrivateKey) -> bool {
    pem::parse(public_pem)
        .is_ok_and(|found| found.tag() == "PUBLIC KEY" && found.contents() == key.public_key_info())
}
