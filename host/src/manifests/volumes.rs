//! The hostPath volumes of kube-apiserver, kube-controller-manager and kube-scheduler
//! (kubeadm's `getHostPathVolumesForTheControlPlane`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use k8s_openapi::api::core::v1::{Volume, VolumeMount};

use super::ControlPlaneComponent;
use super::args::last_value;
use super::pod::{host_path_volume, volume_mount};
use crate::config::constants::{
    CONTROLLER_MANAGER_KUBECONFIG, KUBERNETES_DIR, SCHEDULER_KUBECONFIG,
};
use crate::config::v1beta4::{ClusterConfiguration, ExternalEtcd, HostPathMount};

const CA_CERTS_VOLUME: &str = "ca-certs";
const CA_CERTS_PATH: &str = "/etc/ssl/certs";
const K8S_CERTS_VOLUME: &str = "k8s-certs";
const KUBECONFIG_VOLUME: &str = "kubeconfig";
const FLEXVOLUME_VOLUME: &str = "flexvolume-dir";
const DEFAULT_FLEXVOLUME_DIR: &str = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec";
const DIRECTORY_OR_CREATE: &str = "DirectoryOrCreate";
const FILE_OR_CREATE: &str = "FileOrCreate";

/// Directories that files in /etc/ssl/certs may link into on some distributions; each is
/// mounted into kube-apiserver and kube-controller-manager only when it exists on the node.
pub const CA_CERTS_EXTRA_DIRS: [&str; 5] = [
    "/etc/pki/ca-trust",
    "/etc/pki/tls/certs",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/usr/local/share/ca-certificates",
];

/// One component's volumes and mounts, unique by name and emitted sorted by name.
#[derive(Default)]
pub struct ComponentMounts {
    volumes: BTreeMap<String, Volume>,
    mounts: BTreeMap<String, VolumeMount>,
}

impl ComponentMounts {
    fn add(
        &mut self,
        name: &str,
        host_path: &str,
        mount_path: &str,
        read_only: bool,
        path_type: &str,
    ) {
        self.volumes.insert(
            name.to_string(),
            host_path_volume(name, host_path, path_type),
        );
        self.mounts
            .insert(name.to_string(), volume_mount(name, mount_path, read_only));
    }

    /// The user's `extraVolumes`; one with a default's name replaces it.
    fn add_extra(&mut self, extra: &[HostPathMount]) {
        for v in extra {
            self.add(
                &v.name,
                &v.host_path,
                &v.mount_path,
                v.read_only,
                &v.path_type,
            );
        }
    }

    pub fn volumes(&self) -> Vec<Volume> {
        self.volumes.values().cloned().collect()
    }

    pub fn mounts(&self) -> Vec<VolumeMount> {
        self.mounts.values().cloned().collect()
    }
}

/// The hostPath mounts of one control-plane component. `ca_cert_dirs` are the entries of
/// [`CA_CERTS_EXTRA_DIRS`] present on the node.
pub fn control_plane_mounts(
    component: ControlPlaneComponent,
    cfg: &ClusterConfiguration,
    ca_cert_dirs: &[String],
) -> ComponentMounts {
    let mut m = ComponentMounts::default();
    let cert_dir = cfg.certificates_dir.as_str();
    // Both components that talk TLS to the cluster see its PKI and the host's CA bundle.
    if component != ControlPlaneComponent::Scheduler {
        m.add(
            K8S_CERTS_VOLUME,
            cert_dir,
            cert_dir,
            true,
            DIRECTORY_OR_CREATE,
        );
        m.add(
            CA_CERTS_VOLUME,
            CA_CERTS_PATH,
            CA_CERTS_PATH,
            true,
            DIRECTORY_OR_CREATE,
        );
    }
    match component {
        ControlPlaneComponent::ApiServer => {
            if let Some(external) = &cfg.etcd.external {
                for (i, dir) in external_etcd_cert_dirs(external, cert_dir)
                    .iter()
                    .enumerate()
                {
                    m.add(
                        &format!("etcd-certs-{i}"),
                        dir,
                        dir,
                        true,
                        DIRECTORY_OR_CREATE,
                    );
                }
            }
            add_ca_cert_dirs(&mut m, ca_cert_dirs);
            m.add_extra(&cfg.api_server.extra_volumes);
        }
        ControlPlaneComponent::ControllerManager => {
            let kubeconfig = format!("{KUBERNETES_DIR}/{CONTROLLER_MANAGER_KUBECONFIG}");
            m.add(
                KUBECONFIG_VOLUME,
                &kubeconfig,
                &kubeconfig,
                true,
                FILE_OR_CREATE,
            );
            // Storage plugins talk to the controller manager through sockets here, so it stays writable.
            let flexvolume =
                last_value(&cfg.controller_manager.extra_args, "flex-volume-plugin-dir")
                    .unwrap_or(DEFAULT_FLEXVOLUME_DIR);
            m.add(
                FLEXVOLUME_VOLUME,
                flexvolume,
                flexvolume,
                false,
                DIRECTORY_OR_CREATE,
            );
            add_ca_cert_dirs(&mut m, ca_cert_dirs);
            m.add_extra(&cfg.controller_manager.extra_volumes);
        }
        ControlPlaneComponent::Scheduler => {
            let kubeconfig = format!("{KUBERNETES_DIR}/{SCHEDULER_KUBECONFIG}");
            m.add(
                KUBECONFIG_VOLUME,
                &kubeconfig,
                &kubeconfig,
                true,
                FILE_OR_CREATE,
            );
            m.add_extra(&cfg.scheduler.extra_volumes);
        }
    }
    m
}

/// `/etc/pki/ca-trust` becomes the volume `etc-pki-ca-trust`.
fn add_ca_cert_dirs(m: &mut ComponentMounts, present: &[String]) {
    for dir in CA_CERTS_EXTRA_DIRS
        .iter()
        .filter(|d| present.iter().any(|p| p == *d))
    {
        let name = dir.trim_start_matches('/').replace('/', "-");
        m.add(&name, dir, dir, true, DIRECTORY_OR_CREATE);
    }
}

/// The directories holding the external etcd CA, certificate and key that are not
/// already mounted, with nested directories folded into their parents, sorted.
fn external_etcd_cert_dirs(etcd: &ExternalEtcd, cert_dir: &str) -> Vec<String> {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for file in [&etcd.ca_file, &etcd.cert_file, &etcd.key_file] {
        let dir = match Path::new(file)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
        {
            Some(d) if !d.is_empty() => d,
            _ => continue,
        };
        let mounted = CA_CERTS_EXTRA_DIRS.iter().any(|p| dir.starts_with(p))
            || dir.starts_with(CA_CERTS_PATH)
            || dir.starts_with(cert_dir);
        if mounted {
            continue;
        }
        if dirs
            .iter()
            .any(|existing| dir.starts_with(existing.as_str()) && !existing.starts_with(&dir))
        {
            continue;
        }
        dirs.retain(|existing| !existing.starts_with(&dir));
        dirs.insert(dir);
    }
    dirs.into_iter().collect()
}
