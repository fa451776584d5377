//! `ResetConfiguration` (`kubeadm.k8s.io/v1beta4`): what `reset` reads from `--config`,
//! decoded strictly, with the command-line flags laid over it and validated.

use serde::{Deserialize, Serialize};

use super::constants::{DEFAULT_CERTIFICATES_DIR, DEFAULT_CRI_SOCKET};
use super::defaults::set_timeout_defaults;
use super::v1beta4::{GROUP_VERSION, Timeouts};
use super::{ConfigError, Documents};

pub const KIND: &str = "ResetConfiguration";

/// The flags `umount(2)` takes that kubeadm accepts in `unmountFlags`.
pub const UNMOUNT_FLAGS: [&str; 4] = ["MNT_FORCE", "MNT_DETACH", "MNT_EXPIRE", "UMOUNT_NOFOLLOW"];

/// How long etcd calls may keep failing by default (`timeouts.etcdAPICall`).
const DEFAULT_ETCD_API_CALL: std::time::Duration = std::time::Duration::from_secs(120);

fn is_false(b: &bool) -> bool {
    !*b
}

/// kubeadm's v1beta4 ResetConfiguration, field for field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetConfiguration {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "is_false")]
    pub cleanup_tmp_dir: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub certificates_dir: String,
    #[serde(rename = "criSocket", skip_serializing_if = "String::is_empty")]
    pub cri_socket: String,
    #[serde(skip_serializing_if = "is_false")]
    pub dry_run: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub force: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_preflight_errors: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skip_phases: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmount_flags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
}

/// The `reset` flags that were given; they win over the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResetOverrides {
    pub cert_dir: Option<String>,
    pub cleanup_tmp_dir: bool,
    pub cri_socket: Option<String>,
    pub dry_run: bool,
    pub force: bool,
    pub ignore_preflight_errors: Vec<String>,
    pub skip_phases: Vec<String>,
}

impl ResetConfiguration {
    /// The certificate directory reset empties (`/etc/kubernetes/pki` unless set).
    pub fn cert_dir(&self) -> &str {
        if self.certificates_dir.is_empty() {
            DEFAULT_CERTIFICATES_DIR
        } else {
            &self.certificates_dir
        }
    }

    /// `timeouts.etcdAPICall` (2 min by default).
    pub fn etcd_api_call(&self) -> std::time::Duration {
        self.timeouts
            .as_ref()
            .and_then(|t| t.etcd_api_call)
            .map_or(DEFAULT_ETCD_API_CALL, |d| d.0)
    }

    /// The lower-cased checks whose errors become warnings.
    pub fn ignored_preflight_errors(&self) -> Vec<String> {
        self.ignore_preflight_errors
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect()
    }
}

/// kubeadm's defaults for a ResetConfiguration, as `config migrate` writes them: the certificate
/// directory, every timeout and, like init's node registration, the default CRI socket.
pub fn set_defaults(cfg: &mut ResetConfiguration) {
    if cfg.certificates_dir.is_empty() {
        cfg.certificates_dir = DEFAULT_CERTIFICATES_DIR.into();
    }
    if cfg.cri_socket.is_empty() {
        cfg.cri_socket = DEFAULT_CRI_SOCKET.into();
    }
    set_timeout_defaults(&mut cfg.timeouts);
}

/// The ResetConfiguration of `docs` (defaults without one) with `flags` over it, validated;
/// other documents are ignored with a warning each, as `kubeadm reset` ignores them.
pub fn resolve_reset(
    docs: Option<&Documents>,
    flags: &ResetOverrides,
) -> Result<(ResetConfiguration, Vec<String>), ConfigError> {
    let mut cfg = ResetConfiguration::default();
    let mut warnings = Vec::new();
    let mut found: Option<usize> = None;
    for doc in docs.map(|d| d.docs.as_slice()).unwrap_or_default() {
        let source = &docs.expect("documents exist").source;
        let location = doc.location(source);
        match (doc.api_version.as_str(), doc.kind.as_str()) {
            (GROUP_VERSION, KIND) => {
                if let Some(first) = found {
                    return Err(ConfigError::Decode {
                        location,
                        message: format!("duplicate {KIND} (first in document {first})"),
                    });
                }
                cfg = doc.decode(source)?;
                found = Some(doc.index);
            }
            (other, KIND) => {
                return Err(ConfigError::Decode {
                    location,
                    message: format!(
                        "{KIND} is defined only in {GROUP_VERSION}, not in apiVersion {other:?}"
                    ),
                });
            }
            (_, kind) => warnings.push(format!("{location}: {kind} is not used by reset; ignored")),
        }
    }
    if let Some(dir) = &flags.cert_dir {
        cfg.certificates_dir = dir.clone();
    }
    if let Some(socket) = &flags.cri_socket {
        cfg.cri_socket = socket.clone();
    }
    cfg.cleanup_tmp_dir |= flags.cleanup_tmp_dir;
    cfg.dry_run |= flags.dry_run;
    cfg.force |= flags.force;
    cfg.ignore_preflight_errors
        .extend(flags.ignore_preflight_errors.iter().cloned());
    if !flags.skip_phases.is_empty() {
        cfg.skip_phases = flags.skip_phases.clone();
    }
    validate_reset(&cfg)?;
    Ok((cfg, warnings))
}

/// Every problem at once, each naming the field, the value and what is expected.
pub fn validate_reset(cfg: &ResetConfiguration) -> Result<(), ConfigError> {
    let mut problems = Vec::new();
    if !cfg.certificates_dir.is_empty() && !cfg.certificates_dir.starts_with('/') {
        problems.push(format!(
            "certificatesDir: {:?} is not an absolute path; expected e.g. {DEFAULT_CERTIFICATES_DIR}",
            cfg.certificates_dir
        ));
    }
    if !cfg.cri_socket.is_empty()
        && !cfg.cri_socket.starts_with("unix:///")
        && !cfg.cri_socket.starts_with('/')
    {
        problems.push(format!(
            "criSocket: {:?} is neither a unix:// URL nor an absolute path; expected e.g. unix:///var/run/containerd/containerd.sock",
            cfg.cri_socket
        ));
    }
    for (i, flag) in cfg.unmount_flags.iter().enumerate() {
        if !UNMOUNT_FLAGS.contains(&flag.as_str()) {
            problems.push(format!(
                "unmountFlags[{i}]: {flag:?} is not an unmount flag; expected one of {}",
                UNMOUNT_FLAGS.join(", ")
            ));
        }
    }
    let ignored = cfg.ignored_preflight_errors();
    if ignored.iter().any(|c| c == "all") && ignored.len() > 1 {
        problems.push(format!(
            "ignorePreflightErrors: {:?} mixes 'all' with individual checks; expected either 'all' or a list of checks",
            ignored.join(",")
        ));
    }
    if let Some(t) = cfg.timeouts.as_ref().and_then(|t| t.etcd_api_call)
        && t.is_zero()
    {
        problems.push(
            "timeouts.etcdAPICall: 0s is not a timeout; expected a positive duration such as 2m0s"
                .to_string(),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_documents;

    fn resolve(yaml: &str) -> Result<ResetConfiguration, String> {
        let docs = load_documents(yaml, "reset.yaml").map_err(|e| e.to_string())?;
        resolve_reset(Some(&docs), &ResetOverrides::default())
            .map(|(c, _)| c)
            .map_err(|e| e.to_string())
    }

    const HEAD: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\n";

    #[test]
    fn every_field_is_read() {
        let cfg = resolve(&format!(
            "{HEAD}cleanupTmpDir: true\ncertificatesDir: /srv/pki\ncriSocket: unix:///run/crio.sock\n\
             dryRun: true\nforce: true\nignorePreflightErrors: [IsPrivilegedUser]\nskipPhases: [cleanup-node]\n\
             unmountFlags: [MNT_FORCE, UMOUNT_NOFOLLOW]\ntimeouts:\n  etcdAPICall: 5s\n"
        ))
        .unwrap();
        assert!(cfg.cleanup_tmp_dir && cfg.dry_run && cfg.force);
        assert_eq!(cfg.cert_dir(), "/srv/pki");
        assert_eq!(cfg.skip_phases, ["cleanup-node"]);
        assert_eq!(cfg.etcd_api_call(), std::time::Duration::from_secs(5));
        assert_eq!(cfg.unmount_flags, ["MNT_FORCE", "UMOUNT_NOFOLLOW"]);
    }

    #[test]
    fn bad_documents_fail_in_one_line_naming_the_field() {
        for (case, body, expected) in [
            ("unknown field", "unmountFlag: [MNT_FORCE]\n", "unmountFlag"),
            ("wrong type", "cleanupTmpDir: [yes]\n", "cleanupTmpDir"),
            (
                "bad unmount flag",
                "unmountFlags: [MNT_LAZY]\n",
                "unmountFlags[0]: \"MNT_LAZY\" is not an unmount flag",
            ),
            (
                "relative cert dir",
                "certificatesDir: pki\n",
                "certificatesDir: \"pki\" is not an absolute path",
            ),
            (
                "all and more",
                "ignorePreflightErrors: [all, Swap]\n",
                "mixes 'all'",
            ),
        ] {
            let err = resolve(&format!("{HEAD}{body}")).expect_err(case);
            assert!(err.contains(expected), "{case}: {err}");
            assert!(!err.contains('\n'), "{case}: {err}");
        }
        let err =
            resolve("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ResetConfiguration\n").unwrap_err();
        assert!(err.contains("v1beta4"), "{err}");
    }

    #[test]
    fn flags_win_over_the_file_and_other_kinds_are_ignored() {
        let docs = load_documents(
            &format!(
                "{HEAD}certificatesDir: /srv/pki\nskipPhases: [preflight]\n---\n\
                 apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
            ),
            "reset.yaml",
        )
        .unwrap();
        let flags = ResetOverrides {
            cert_dir: Some("/other/pki".into()),
            skip_phases: vec!["cleanup-node".into()],
            force: true,
            ..Default::default()
        };
        let (cfg, warnings) = resolve_reset(Some(&docs), &flags).unwrap();
        assert_eq!(cfg.cert_dir(), "/other/pki");
        assert_eq!(cfg.skip_phases, ["cleanup-node"]);
        assert!(cfg.force);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("InitConfiguration is not used by reset"));
    }
}
