//! The kubeconfig files `init` writes (upstream `getKubeConfigSpecsBase`): who each is for, which
//! API server it points at, and creating or checking them on the node.

use std::path::{Path, PathBuf};

use super::document::Kubeconfig;
use super::error::KubeconfigError;
use crate::config::InitConfig;
use crate::config::constants::{
    ADMIN_KUBECONFIG, CONTROLLER_MANAGER_KUBECONFIG, KUBELET_KUBECONFIG, SCHEDULER_KUBECONFIG,
    SUPER_ADMIN_KUBECONFIG,
};
use crate::node::NodeRoot;
use crate::pki::certlist::{CA, CLUSTER_ADMINS_GROUP};
use crate::pki::{CertConfig, KeyPool, Pki};

/// Kubeconfig files hold a private key.
pub const KUBECONFIG_MODE: u32 = 0o600;

/// One of the kubeconfig files of a control-plane node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeconfigFile {
    Admin,
    SuperAdmin,
    Kubelet,
    ControllerManager,
    Scheduler,
}

/// Who a kubeconfig authenticates as, and where it connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeconfigSpec {
    pub client_name: String,
    pub organization: Vec<String>,
    pub server: String,
}

impl KubeconfigFile {
    /// In kubeadm's phase order.
    pub const ALL: [KubeconfigFile; 5] = [
        KubeconfigFile::Admin,
        KubeconfigFile::SuperAdmin,
        KubeconfigFile::Kubelet,
        KubeconfigFile::ControllerManager,
        KubeconfigFile::Scheduler,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            KubeconfigFile::Admin => ADMIN_KUBECONFIG,
            KubeconfigFile::SuperAdmin => SUPER_ADMIN_KUBECONFIG,
            KubeconfigFile::Kubelet => KUBELET_KUBECONFIG,
            KubeconfigFile::ControllerManager => CONTROLLER_MANAGER_KUBECONFIG,
            KubeconfigFile::Scheduler => SCHEDULER_KUBECONFIG,
        }
    }

    /// The user, groups and server kubeadm gives this file.
    pub fn spec(self, cfg: &InitConfig) -> KubeconfigSpec {
        let (client_name, organization, server) = match self {
            KubeconfigFile::Admin => (
                "kubernetes-admin".into(),
                Some(CLUSTER_ADMINS_GROUP),
                cfg.control_plane_url(),
            ),
            KubeconfigFile::SuperAdmin => (
                "kubernetes-super-admin".into(),
                Some("system:masters"),
                cfg.control_plane_url(),
            ),
            KubeconfigFile::Kubelet => {
                // With ControlPlaneKubeletLocalMode the kubelet of a control-plane node talks to its own API server.
                let server = if cfg.feature_enabled("ControlPlaneKubeletLocalMode") {
                    cfg.local_api_url()
                } else {
                    cfg.control_plane_url()
                };
                (
                    format!("system:node:{}", cfg.node_name()),
                    Some("system:nodes"),
                    server,
                )
            }
            KubeconfigFile::ControllerManager => (
                "system:kube-controller-manager".into(),
                None,
                cfg.local_api_url(),
            ),
            KubeconfigFile::Scheduler => {
                ("system:kube-scheduler".into(), None, cfg.local_api_url())
            }
        };
        KubeconfigSpec {
            client_name,
            organization: organization.into_iter().map(String::from).collect(),
            server,
        }
    }
}

/// Writes one kubeconfig file into `dir`, or keeps an existing one whose CA and server match.
pub struct KubeconfigWriter<'a> {
    root: &'a NodeRoot,
    cfg: &'a InitConfig,
    pool: &'a KeyPool,
    pki: Pki<'a>,
    dir: PathBuf,
}

impl<'a> KubeconfigWriter<'a> {
    pub fn new(
        root: &'a NodeRoot,
        cfg: &'a InitConfig,
        pool: &'a KeyPool,
        dir: impl Into<PathBuf>,
    ) -> Self {
        KubeconfigWriter {
            root,
            cfg,
            pool,
            pki: Pki::new(root, cfg, pool),
            dir: dir.into(),
        }
    }

    pub fn path(&self, file: KubeconfigFile) -> PathBuf {
        self.dir.join(file.file_name())
    }

    /// Creates `file` with a fresh client certificate signed by the cluster CA; an existing
    /// file is kept only if it trusts the same CA and points at the same server.
    pub fn ensure(&self, file: KubeconfigFile) -> Result<(), KubeconfigError> {
        let path = self.path(file);
        let shown = path.display().to_string();
        let spec = file.spec(self.cfg);
        let ca = self.pki.ca_cert(&CA)?;
        let ca_pem = ca.to_pem();
        let events = self.root.events();

        if let Some(existing) = self.root.read(&path)? {
            self.check_existing(&path, &existing, ca_pem.as_bytes(), &spec.server)?;
            self.root.report_kept(&path)?;
            if self.root.exists(self.pki.key_path(&CA))? {
                events.info(format!(
                    "[kubeconfig] Using existing kubeconfig file: {shown:?}"
                ));
            } else {
                events.info(format!(
                    "[kubeconfig] External CA mode: Using user provided {}",
                    file.file_name()
                ));
            }
            return Ok(());
        }

        let Some(authority) = self.pki.authority(&CA)? else {
            return Err(KubeconfigError::ExternalCaFileMissing {
                path: shown,
                ca_key: self.pki.key_path(&CA).display().to_string(),
            });
        };
        let key = self.pool.take(&shown, self.cfg.encryption_algorithm())?;
        let cert = authority.issue(
            &CertConfig::client(&spec.client_name, spec.organization.clone()),
            &key,
            self.pki.cert_validity(),
        )?;
        let config = Kubeconfig::with_client_certificate(
            &self.cfg.cluster.cluster_name,
            &spec.server,
            ca_pem.as_bytes(),
            &spec.client_name,
            cert.to_pem().as_bytes(),
            key.pem().as_bytes(),
        );
        events.info(format!(
            "[kubeconfig] Writing {:?} kubeconfig file",
            file.file_name()
        ));
        self.root
            .write(&path, config.to_yaml().as_bytes(), KUBECONFIG_MODE)?;
        Ok(())
    }

    /// upstream `validateKubeConfig`: the current context's cluster must trust our CA and use our server.
    fn check_existing(
        &self,
        path: &Path,
        bytes: &[u8],
        ca_pem: &[u8],
        server: &str,
    ) -> Result<(), KubeconfigError> {
        let shown = path.display().to_string();
        let invalid = |reason: String| KubeconfigError::Invalid {
            path: shown.clone(),
            reason,
        };
        let config = Kubeconfig::parse(&String::from_utf8_lossy(bytes)).map_err(invalid)?;
        let cluster = config.current_cluster().ok_or_else(|| {
            invalid(format!(
                "its current-context {:?} does not name a context with a cluster",
                config.current_context
            ))
        })?;
        let found_ca = match (
            &cluster.certificate_authority_data,
            &cluster.certificate_authority,
        ) {
            (Some(data), _) => Some(data.clone()),
            (None, Some(file)) => self.root.read(file)?,
            (None, None) => None,
        };
        if found_ca.as_deref().map(<[u8]>::trim_ascii) != Some(ca_pem.trim_ascii()) {
            return Err(KubeconfigError::WrongCa { path: shown });
        }
        if cluster.server != server {
            return Err(KubeconfigError::WrongServer {
                path: shown,
                expected: server.to_string(),
                found: cluster.server.clone(),
            });
        }
        Ok(())
    }

    /// The files `ensure` would create with a new key, to fill the key pool.
    pub fn pending_keys(&self, files: &[KubeconfigFile]) -> Result<Vec<String>, KubeconfigError> {
        if !self.root.exists(self.pki.key_path(&CA))? {
            return Ok(Vec::new());
        }
        let mut ids = Vec::new();
        for file in files {
            let path = self.path(*file);
            if !self.root.exists(&path)? {
                ids.push(path.display().to_string());
            }
        }
        Ok(ids)
    }
}
