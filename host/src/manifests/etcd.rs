//! The local etcd static Pod (kubeadm's `GetEtcdPodSpec` and `getEtcdCommand`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Container, Pod};

use super::args::{arg, arguments_to_command, last_value, set_value};
use super::pod::{
    ProbeTarget, component_pod, host_path_volume, liveness_probe, merge_env, probe_port,
    readiness_probe, resource_requests, startup_probe, volume_mount,
};
use super::{ETCD, ManifestError, health_check_timeout, join_path};
use crate::config::constants::{ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT};
use crate::config::v1beta4::{Arg, LocalEtcd};
use crate::config::{InitConfig, host_port};

/// The annotation recording the client URL other members and kubeadm use for this member.
pub const ETCD_CLIENT_URLS_ANNOTATION: &str = "kubeadm.kubernetes.io/etcd.advertise-client-urls";

const DATA_VOLUME: &str = "etcd-data";
const CERTS_VOLUME: &str = "etcd-certs";

/// A member of the etcd cluster, for `--initial-cluster` when a node joins an existing one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdMember {
    pub name: String,
    pub peer_url: String,
}

/// `https://<advertise>:2379`.
pub fn client_url(advertise: IpAddr) -> String {
    format!("https://{}", host_port(advertise, ETCD_CLIENT_PORT))
}

/// `https://<advertise>:2380`.
pub fn peer_url(advertise: IpAddr) -> String {
    format!("https://{}", host_port(advertise, ETCD_PEER_PORT))
}

/// The loopback address of the advertise address's IP family.
pub(super) fn loopback_like(advertise: IpAddr) -> IpAddr {
    if advertise.is_ipv6() {
        IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    }
}

/// The etcd static Pod for this node. `members` is empty when the node starts a new
/// cluster (init), or the whole membership including this node when it joins one.
pub fn etcd_pod(cfg: &InitConfig, members: &[EtcdMember]) -> Result<Pod, ManifestError> {
    let local = cfg.local_etcd().ok_or(ManifestError::ExternalEtcd)?;
    let cert_dir = &cfg.cluster.certificates_dir;
    let etcd_certs = format!("{cert_dir}/etcd");
    let advertise = cfg.advertise_address();
    let target = probe_target(local, advertise.is_ipv6());
    let timeout = health_check_timeout(cfg);
    let container = Container {
        name: ETCD.to_string(),
        command: Some(etcd_command(cfg, local, members)),
        image: Some(cfg.etcd_image()),
        image_pull_policy: Some("IfNotPresent".into()),
        ports: Some(probe_port(&target)),
        volume_mounts: Some(vec![
            volume_mount(DATA_VOLUME, &local.data_dir, false),
            volume_mount(CERTS_VOLUME, &etcd_certs, false),
        ]),
        resources: Some(resource_requests(&[("cpu", "100m"), ("memory", "100Mi")])),
        // /livez and /readyz as explained in kubernetes/kubeadm#3039.
        liveness_probe: Some(liveness_probe(&target, "/livez")),
        readiness_probe: Some(readiness_probe(&target, "/readyz")),
        startup_probe: Some(startup_probe(&target, "/readyz", timeout)),
        env: merge_env(ETCD, &[&local.extra_envs])?,
        ..Default::default()
    };
    let volumes = vec![
        host_path_volume(CERTS_VOLUME, &etcd_certs, "DirectoryOrCreate"),
        host_path_volume(DATA_VOLUME, &local.data_dir, "DirectoryOrCreate"),
    ];
    let annotations = BTreeMap::from([(
        ETCD_CLIENT_URLS_ANNOTATION.to_string(),
        client_url(advertise),
    )]);
    Ok(component_pod(container, volumes, annotations))
}

/// `etcd` and its flags; flag spellings follow the etcd release in the image tag.
pub fn etcd_command(cfg: &InitConfig, local: &LocalEtcd, members: &[EtcdMember]) -> Vec<String> {
    let pki = |name: &str| join_path(&cfg.cluster.certificates_dir, name);
    let advertise = cfg.advertise_address();
    let localhost = loopback_like(advertise);
    let mut args = vec![
        arg("name", cfg.node_name()),
        arg(
            "listen-client-urls",
            format!("{},{}", client_url(localhost), client_url(advertise)),
        ),
        arg("advertise-client-urls", client_url(advertise)),
        arg("listen-peer-urls", peer_url(advertise)),
        arg("initial-advertise-peer-urls", peer_url(advertise)),
        arg("data-dir", &local.data_dir),
        arg("cert-file", pki("etcd/server.crt")),
        arg("key-file", pki("etcd/server.key")),
        arg("trusted-ca-file", pki("etcd/ca.crt")),
        arg("client-cert-auth", "true"),
        arg("peer-cert-file", pki("etcd/peer.crt")),
        arg("peer-key-file", pki("etcd/peer.key")),
        arg("peer-trusted-ca-file", pki("etcd/ca.crt")),
        arg("peer-client-cert-auth", "true"),
        arg("snapshot-count", "10000"),
        arg(
            "listen-metrics-urls",
            format!("http://{}", host_port(localhost, ETCD_METRICS_PORT)),
        ),
    ];
    args.extend(corruption_and_progress_flags(&cfg.etcd_version_tag()));
    if members.is_empty() {
        set_value(
            &mut args,
            "initial-cluster",
            format!("{}={}", cfg.node_name(), peer_url(advertise)),
        );
    } else {
        let cluster: Vec<String> = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url))
            .collect();
        set_value(&mut args, "initial-cluster", cluster.join(","));
        set_value(&mut args, "initial-cluster-state", "existing");
    }
    std::iter::once("etcd".to_string())
        .chain(arguments_to_command(&args, &local.extra_args))
        .collect()
}

/// etcd 3.6 graduated the initial corruption check to a feature gate and dropped the
/// `experimental-` prefixes; older releases only know the prefixed flags.
pub fn corruption_and_progress_flags(image_tag: &str) -> Vec<Arg> {
    if etcd_at_least_3_6(image_tag) {
        vec![
            arg("feature-gates", "InitialCorruptCheck=true"),
            arg("watch-progress-notify-interval", "5s"),
        ]
    } else {
        vec![
            arg("experimental-initial-corrupt-check", "true"),
            arg("experimental-watch-progress-notify-interval", "5s"),
        ]
    }
}

/// Whether an etcd image tag is at least semantic version 3.6.0. Like kubeadm, a tag that is
/// not a semantic version counts as older, and a pre-release of 3.6.0 (`3.6.0-0`) too.
fn etcd_at_least_3_6(tag: &str) -> bool {
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let (core, pre) = match tag.split_once(['-', '+']) {
        Some((core, rest)) => (core, tag.as_bytes()[core.len()] == b'-' && !rest.is_empty()),
        None => (tag, false),
    };
    let parts: Vec<u64> = match core
        .split('.')
        .map(str::parse)
        .collect::<Result<Vec<u64>, _>>()
    {
        Ok(p) if p.len() == 3 => p,
        _ => return false,
    };
    let version = (parts[0], parts[1], parts[2]);
    version > (3, 6, 0) || (version == (3, 6, 0) && !pre)
}

/// Where kubelet probes etcd: the first `listen-metrics-urls` entry if the user set one,
/// otherwise plain HTTP on the loopback metrics port.
fn probe_target(local: &LocalEtcd, ipv6: bool) -> ProbeTarget {
    let localhost = if ipv6 { "::1" } else { "127.0.0.1" };
    let default = ProbeTarget {
        host: localhost.to_string(),
        port: i32::from(ETCD_METRICS_PORT),
        scheme: "HTTP",
    };
    let Some(urls) = last_value(&local.extra_args, "listen-metrics-urls") else {
        return default;
    };
    let first = urls.split(',').next().unwrap_or("");
    let Some((scheme, rest)) = first.split_once("://") else {
        return default;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = split_authority(authority);
    ProbeTarget {
        host: if host.is_empty() {
            localhost.to_string()
        } else {
            host.to_string()
        },
        port: port
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p != 0)
            .map_or(default.port, i32::from),
        scheme: if scheme == "https" { "HTTPS" } else { "HTTP" },
    }
}

/// `host:port`, `[v6]:port` or a bare host, without brackets.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (rest, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}
