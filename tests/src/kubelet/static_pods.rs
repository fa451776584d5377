//! Static pods: each manifest in the static pod path runs as long as it is there, restarted
//! when it changes. etcd runs as the real `etcd` from the manifest's command, its volume
//! paths mapped under the node root; kube-apiserver, kube-controller-manager and
//! kube-scheduler are health doubles at the addresses their flags name. Each gets a mirror
//! pod in the API, as the kubelet posts them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use serde_json::{Value, json};
use tokio::runtime::Handle;

use super::files::{self, FileError};
use super::{Options, log};
use crate::control_plane::client::{ClientError, KubeClient};
use crate::control_plane::doubles::{DoubleError, Served, serve_component_health};

/// A process that exited is started again after this long, as the kubelet backs off.
const RESTART_BACKOFF: Duration = Duration::from_secs(1);
/// How long a process has to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum PodError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("{pod}: starting {program}: {source}")]
    Start {
        pod: String,
        program: String,
        source: std::io::Error,
    },
    #[error("{pod}: {source}")]
    Double { pod: String, source: DoubleError },
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("mirror pod {namespace}/{name}: HTTP {status}: {message}")]
    Mirror {
        namespace: String,
        name: String,
        status: u16,
        message: String,
    },
}

/// What runs for one manifest.
enum Workload {
    Process(Process),
    Health(Served),
    /// Served by something else (`--skip-static-pod`), or a component the double has no
    /// stand-in for.
    Elsewhere,
}

struct Process {
    pod: String,
    command: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
    started: Instant,
}

struct StaticPod {
    name: String,
    namespace: String,
    /// Of the manifest's bytes; the mirror pod's `kubernetes.io/config.hash`.
    hash: String,
    manifest: Value,
    workload: Workload,
    /// The hash of the mirror pod last posted for it.
    mirrored: Option<String>,
}

pub struct StaticPods {
    root: PathBuf,
    skip: BTreeSet<String>,
    /// By manifest file.
    pods: BTreeMap<PathBuf, StaticPod>,
    /// Mirror pods (namespace, name) whose manifest is gone.
    orphans: Vec<(String, String)>,
}

fn hex_digest(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first container's command and args.
fn container_command(manifest: &Value) -> Vec<String> {
    let container = &manifest["spec"]["containers"][0];
    ["command", "args"]
        .iter()
        .filter_map(|k| container[*k].as_array())
        .flatten()
        .filter_map(|a| a.as_str().map(String::from))
        .collect()
}

/// The value of `--<flag>=` in a command.
fn flag<'a>(command: &'a [String], name: &str) -> Option<&'a str> {
    let prefix = format!("--{name}=");
    command.iter().rev().find_map(|a| a.strip_prefix(&prefix))
}

/// Container paths mapped to node paths under the root: each volumeMount's mountPath to its
/// hostPath volume, longest first so nested mounts win.
fn host_paths(root: &Path, manifest: &Value) -> Vec<(String, PathBuf)> {
    let volumes: BTreeMap<&str, &str> = manifest["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["name"].as_str()?, v["hostPath"]["path"].as_str()?)))
        .collect();
    let mut mounts: Vec<(String, PathBuf)> = manifest["spec"]["containers"][0]["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let host = volumes.get(m["name"].as_str()?)?;
            Some((
                m["mountPath"].as_str()?.to_string(),
                files::under(root, host),
            ))
        })
        .collect();
    mounts.sort_by_key(|(mount, _)| std::cmp::Reverse(mount.len()));
    mounts
}

fn map_paths(arg: &str, mounts: &[(String, PathBuf)]) -> String {
    mounts
        .iter()
        .find_map(|(mount, host)| {
            let (flag, value) = arg.split_once('=').unwrap_or(("", arg));
            let rest = value.strip_prefix(mount.as_str())?;
            if !(rest.is_empty() || rest.starts_with('/')) {
                return None;
            }
            let mapped = format!("{}{rest}", host.display());
            Some(if flag.is_empty() {
                mapped
            } else {
                format!("{flag}={mapped}")
            })
        })
        .unwrap_or_else(|| arg.to_string())
}

impl Process {
    fn start(&mut self) -> Result<(), PodError> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|source| self.start_error(source))?;
        let err = out.try_clone().map_err(|source| self.start_error(source))?;
        let child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| self.start_error(source))?;
        log(&format!(
            "{}: started {} (pid {}), log {}",
            self.pod,
            self.command[0],
            child.id(),
            self.log.display()
        ));
        self.child = Some(child);
        self.started = Instant::now();
        Ok(())
    }

    fn start_error(&self, source: std::io::Error) -> PodError {
        PodError::Start {
            pod: self.pod.clone(),
            program: self.command[0].clone(),
            source,
        }
    }

    /// Starts the process again when it exited and the back-off has passed.
    fn keep_running(&mut self) -> Result<(), PodError> {
        if let Some(child) = &mut self.child {
            match child.try_wait() {
                Ok(None) => return Ok(()),
                Ok(Some(status)) => {
                    log(&format!(
                        "{}: {} exited with {status}",
                        self.pod, self.command[0]
                    ));
                    self.child = None;
                }
                Err(source) => return Err(self.start_error(source)),
            }
        }
        if self.started.elapsed() >= RESTART_BACKOFF {
            self.start()?;
        }
        Ok(())
    }

    /// SIGTERM, then SIGKILL if it has not exited within [`STOP_GRACE`].
    async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_child(&child),
            rustix::process::Signal::TERM,
        );
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                log(&format!("{}: {} stopped", self.pod, self.command[0]));
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        log(&format!(
            "{}: {} ignored SIGTERM for {STOP_GRACE:?}; killing it",
            self.pod, self.command[0]
        ));
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Workload {
    async fn stop(&mut self) {
        match self {
            Workload::Process(p) => p.stop().await,
            Workload::Health(served) => {
                log(&format!("closing the health double on {}", served.addr))
            }
            Workload::Elsewhere => {}
        }
        // Dropping a health double closes its port.
        *self = Workload::Elsewhere;
    }
}

impl StaticPods {
    pub fn new(options: &Options) -> Self {
        StaticPods {
            root: options.root.clone(),
            skip: options.skip_static_pods.clone(),
            pods: BTreeMap::new(),
            orphans: Vec::new(),
        }
    }

    /// Brings what runs in line with the manifests in `dir`.
    pub async fn sync(&mut self, runtime: &Handle, dir: &Path) -> Result<(), PodError> {
        let mut manifests = BTreeMap::new();
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let hidden = entry.file_name().to_string_lossy().starts_with('.');
                    if hidden || !path.is_file() {
                        continue;
                    }
                    if let Some(bytes) = files::read_optional(&path)? {
                        manifests.insert(path, bytes);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(FileError::Io {
                    path: dir.to_path_buf(),
                    source,
                }
                .into());
            }
        }
        let gone: Vec<PathBuf> = self
            .pods
            .keys()
            .filter(|p| !manifests.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(mut pod) = self.pods.remove(&path) {
                log(&format!("{}: manifest removed; stopping", pod.name));
                pod.workload.stop().await;
                self.orphans.push((pod.namespace, pod.name));
            }
        }
        let mut first_error = None;
        for (path, bytes) in manifests {
            let hash = hex_digest(&bytes);
            if let Some(pod) = self.pods.get_mut(&path) {
                if pod.hash == hash {
                    if let Workload::Process(p) = &mut pod.workload
                        && let Err(e) = p.keep_running()
                    {
                        first_error.get_or_insert(e);
                    }
                    continue;
                }
                log(&format!("{}: manifest changed; restarting", pod.name));
                pod.workload.stop().await;
            }
            let mirrored = self.pods.remove(&path).and_then(|p| p.mirrored);
            match self.start(runtime, &path, &bytes, hash) {
                Ok(mut pod) => {
                    pod.mirrored = mirrored.filter(|h| *h == pod.hash);
                    self.pods.insert(path, pod);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn start(
        &self,
        runtime: &Handle,
        path: &Path,
        bytes: &[u8],
        hash: String,
    ) -> Result<StaticPod, PodError> {
        let bad = |reason: String| PodError::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| bad(e.to_string()))?;
        let manifest: Value = serde_saphyr::from_str(text).map_err(|e| bad(e.to_string()))?;
        let name = manifest["metadata"]["name"]
            .as_str()
            .ok_or_else(|| bad("metadata.name is missing".into()))?
            .to_string();
        let namespace = manifest["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let command = container_command(&manifest);
        let program = command
            .first()
            .and_then(|c| c.rsplit('/').next())
            .unwrap_or("")
            .to_string();
        let health = |default_port: u16, address_flag: &str| -> Result<Workload, PodError> {
            let ip = flag(&command, address_flag).unwrap_or("0.0.0.0");
            let port = flag(&command, "secure-port").map_or(Ok(default_port), |p| {
                p.parse()
                    .map_err(|e| bad(format!("--secure-port={p}: {e}")))
            })?;
            let addr = format!("{ip}:{port}")
                .parse()
                .map_err(|e| bad(format!("--{address_flag}={ip}: {e}")))?;
            let served = serve_component_health(runtime, addr, &program).map_err(|source| {
                PodError::Double {
                    pod: name.clone(),
                    source,
                }
            })?;
            log(&format!("{name}: health double on https://{addr}"));
            Ok(Workload::Health(served))
        };
        let workload = if self.skip.contains(&name) || self.skip.contains(&program) {
            log(&format!("{name}: served elsewhere (--skip-static-pod)"));
            Workload::Elsewhere
        } else {
            match program.as_str() {
                "etcd" => {
                    let mounts = host_paths(&self.root, &manifest);
                    for (_, host) in &mounts {
                        std::fs::create_dir_all(host).map_err(|source| FileError::Io {
                            path: host.clone(),
                            source,
                        })?;
                    }
                    let log_dir = files::under(&self.root, "/var/log/pods");
                    std::fs::create_dir_all(&log_dir).map_err(|source| FileError::Io {
                        path: log_dir.clone(),
                        source,
                    })?;
                    let mut process = Process {
                        pod: name.clone(),
                        command: command.iter().map(|a| map_paths(a, &mounts)).collect(),
                        log: log_dir.join(format!("{name}.log")),
                        child: None,
                        started: Instant::now(),
                    };
                    process.start()?;
                    Workload::Process(process)
                }
                "kube-apiserver" => health(6443, "advertise-address")?,
                "kube-controller-manager" => health(10257, "bind-address")?,
                "kube-scheduler" => health(10259, "bind-address")?,
                other => {
                    log(&format!("{name}: no double for {other:?}; not run"));
                    Workload::Elsewhere
                }
            }
        };
        Ok(StaticPod {
            name,
            namespace,
            hash,
            manifest,
            workload,
            mirrored: None,
        })
    }

    /// Posts a mirror pod for every static pod that has none for its current manifest, and
    /// deletes those whose manifest is gone.
    pub async fn mirror(&mut self, client: &KubeClient, node_name: &str) -> Result<(), PodError> {
        while let Some((namespace, name)) = self.orphans.last().cloned() {
            let mirror = format!("{name}-{node_name}");
            let path = format!("/api/v1/namespaces/{namespace}/pods/{mirror}");
            let reply = client
                .request("DELETE", &path, "application/json", None)
                .await?;
            if !matches!(reply.status, 200 | 202 | 404) {
                return Err(mirror_error(&namespace, &mirror, &reply));
            }
            self.orphans.pop();
        }
        for pod in self.pods.values_mut() {
            if pod.mirrored.as_deref() == Some(pod.hash.as_str()) {
                continue;
            }
            post_mirror(client, pod, node_name).await?;
            pod.mirrored = Some(pod.hash.clone());
        }
        Ok(())
    }

    /// Stops every process (SIGTERM first); mirror pods stay, as the kubelet leaves them.
    pub async fn stop_all(&mut self) {
        for pod in self.pods.values_mut() {
            pod.workload.stop().await;
        }
    }
}

fn mirror_error(
    namespace: &str,
    name: &str,
    reply: &crate::control_plane::client::Reply,
) -> PodError {
    PodError::Mirror {
        namespace: namespace.to_string(),
        name: name.to_string(),
        status: reply.status,
        message: reply.body["message"]
            .as_str()
            .map_or_else(|| reply.body.to_string(), String::from),
    }
}

/// The mirror pod of a static pod: `<name>-<node>` with the manifest's labels, annotations
/// and spec, the kubelet's config annotations, bound to this node and Running.
fn mirror_object(pod: &StaticPod, node_name: &str) -> Value {
    let mut annotations = pod.manifest["metadata"]["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (key, value) in [
        ("kubernetes.io/config.hash", pod.hash.as_str()),
        ("kubernetes.io/config.mirror", pod.hash.as_str()),
        ("kubernetes.io/config.source", "file"),
    ] {
        annotations.insert(key.into(), json!(value));
    }
    let seen = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now formats as RFC 3339");
    annotations.insert("kubernetes.io/config.seen".into(), json!(seen));
    let mut spec = pod.manifest["spec"].clone();
    spec["nodeName"] = json!(node_name);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("{}-{node_name}", pod.name),
            "namespace": pod.namespace,
            "labels": pod.manifest["metadata"]["labels"],
            "annotations": annotations,
        },
        "spec": spec,
    })
}

async fn post_mirror(
    client: &KubeClient,
    pod: &StaticPod,
    node_name: &str,
) -> Result<(), PodError> {
    let object = mirror_object(pod, node_name);
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let pods = format!("/api/v1/namespaces/{}/pods", pod.namespace);
    let mut created = client.post(&pods, &object).await?;
    if created.status == 409 {
        // A mirror pod of an earlier manifest (or an earlier run): replaced.
        let path = format!("{pods}/{name}");
        let deleted = client
            .request("DELETE", &path, "application/json", None)
            .await?;
        if !matches!(deleted.status, 200 | 202 | 404) {
            return Err(mirror_error(&pod.namespace, &name, &deleted));
        }
        created = client.post(&pods, &object).await?;
    }
    if created.status != 201 {
        return Err(mirror_error(&pod.namespace, &name, &created));
    }
    let status = json!({"status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
    }});
    let path = format!("{pods}/{name}/status");
    let patched = client
        .request(
            "PATCH",
            &path,
            "application/merge-patch+json",
            Some(&status),
        )
        .await?;
    if patched.status != 200 {
        return Err(mirror_error(&pod.namespace, &name, &patched));
    }
    log(&format!("mirror pod {}/{name} posted", pod.namespace));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_paths_in_flags_are_mapped_under_the_root_and_nothing_else() {
        let manifest: Value = json!({"spec": {
            "volumes": [
                {"name": "etcd-certs", "hostPath": {"path": "/etc/kubernetes/pki/etcd"}},
                {"name": "etcd-data", "hostPath": {"path": "/var/lib/etcd"}},
            ],
            "containers": [{"volumeMounts": [
                {"name": "etcd-data", "mountPath": "/var/lib/etcd"},
                {"name": "etcd-certs", "mountPath": "/etc/kubernetes/pki/etcd"},
            ]}],
        }});
        let mounts = host_paths(Path::new("/r"), &manifest);
        assert_eq!(
            map_paths("--cert-file=/etc/kubernetes/pki/etcd/server.crt", &mounts),
            "--cert-file=/r/etc/kubernetes/pki/etcd/server.crt"
        );
        assert_eq!(
            map_paths("--data-dir=/var/lib/etcd", &mounts),
            "--data-dir=/r/var/lib/etcd"
        );
        assert_eq!(
            map_paths("--data-dir=/var/lib/etcd2", &mounts),
            "--data-dir=/var/lib/etcd2"
        );
        assert_eq!(
            map_paths("--listen-client-urls=https://127.0.0.1:2379", &mounts),
            "--listen-client-urls=https://127.0.0.1:2379"
        );
    }

    #[test]
    fn the_last_flag_wins_as_in_a_command_line() {
        let command: Vec<String> = ["kube-scheduler", "--secure-port=1", "--secure-port=2"]
            .map(String::from)
            .to_vec();
        assert_eq!(flag(&command, "secure-port"), Some("2"));
        assert_eq!(flag(&command, "bind-address"), None);
    }
}
