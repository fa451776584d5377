//! A cluster across network namespaces for the join tests and bench: the first node of a
//! [`Lab`] is the first control plane (`kubeadm-rs init` with the test control plane serving
//! the control-plane endpoint at its address, and a kubelet double running its static pods),
//! and the others are ready to join. Every call that talks to a node address runs inside a
//! namespace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::netns::{Lab, LabNode};

/// A persistent cluster's join command and endpoint, next to its lab's description.
const CLUSTER_FILE: &str = "cluster.json";

/// The programs a lab cluster runs (integration tests and benches know their paths:
/// `env!("CARGO_BIN_EXE_<name>")`).
#[derive(Clone, Debug)]
pub struct Binaries {
    /// `kubeadm-rs-cli`, the kubeadm-rs command line.
    pub kubeadm: PathBuf,
    pub kubelet: PathBuf,
    pub control_plane: PathBuf,
}

/// The join command `init` printed, read word by word.
#[derive(Clone, Debug, Default)]
pub struct PrintedJoin {
    pub endpoint: String,
    pub token: String,
    pub ca_hashes: Vec<String>,
    pub certificate_key: Option<String>,
}

impl PrintedJoin {
    /// The first join command in `text` (continuation lines joined) and the certificate key
    /// of the control-plane one, if printed.
    pub fn find(text: &str) -> Option<PrintedJoin> {
        let joined = text.replace("\\\n", " ");
        let mut printed: Option<PrintedJoin> = None;
        for line in joined.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(at) = words.iter().position(|w| *w == "join") else {
                continue;
            };
            if !words[..at].last().is_some_and(|w| w.starts_with("kubeadm")) {
                continue;
            }
            let mut join = PrintedJoin {
                endpoint: words.get(at + 1).unwrap_or(&"").to_string(),
                ..PrintedJoin::default()
            };
            for pair in words[at..].windows(2) {
                match pair[0] {
                    "--token" => join.token = pair[1].to_string(),
                    "--discovery-token-ca-cert-hash" => join.ca_hashes.push(pair[1].to_string()),
                    "--certificate-key" => join.certificate_key = Some(pair[1].to_string()),
                    _ => {}
                }
            }
            match &mut printed {
                None => printed = Some(join),
                Some(first) if first.certificate_key.is_none() => {
                    first.certificate_key = join.certificate_key;
                }
                Some(_) => {}
            }
        }
        printed
    }
}

/// A lab whose first node is an initialised control plane.
pub struct LabCluster {
    pub lab: Lab,
    pub bins: Binaries,
    /// kubectl's home and the kubeconfig copies: in the state directory of a persistent lab.
    scratch: PathBuf,
    _scratch: Option<tempfile::TempDir>,
    /// What `kubeadm-rs init` printed on stdout.
    pub init_stdout: String,
    pub join: PrintedJoin,
    /// The test control plane's pid (in the first node's namespace).
    pub control_plane_pid: u32,
}

/// Polls `check` until it gives a value or `timeout` passes; panics with the last reason.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(reason) if Instant::now() >= deadline => {
                panic!("{what}: not within {timeout:?}: {reason}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Panics with both streams unless the command succeeded.
pub fn ok(what: &str, out: Output) -> Output {
    assert!(
        out.status.success(),
        "{what} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The output of a command that succeeded; otherwise one line: `what`, how it ended and the
/// last line it wrote on stderr (kubeadm-rs prints its error there, once).
pub fn succeeded(what: &str, out: std::io::Result<Output>) -> Result<Output, String> {
    let out = out.map_err(|e| format!("{what}: could not start: {e}"))?;
    if out.status.success() {
        return Ok(out);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing on stderr)");
    Err(format!("{what} failed ({}): {}", out.status, last.trim()))
}

/// The kubeadm configuration of the lab's first control plane: its address is the
/// control-plane endpoint, Debian's etcd 3.4 runs its etcd, and kubelet.conf names the
/// endpoint (a joining control plane has no API server of its own here to bootstrap against).
pub fn init_config(cp: &LabNode, cluster_extra: &str) -> String {
    let address = cp.address;
    let name = &cp.name;
    format!(
        r#"apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: {address}
nodeRegistration:
  name: {name}
timeouts:
  controlPlaneComponentHealthCheck: 60s
  kubeletHealthCheck: 60s
  kubernetesAPICall: 30s
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: {address}:6443
encryptionAlgorithm: ECDSA-P256
featureGates:
  ControlPlaneKubeletLocalMode: false
etcd:
  local:
    imageTag: 3.4.23-0
{cluster_extra}"#
    )
}

impl LabCluster {
    /// A lab with `node_names` (the first is the control plane), initialised with
    /// `kubeadm-rs init --upload-certs`; `cluster_extra` is appended to the
    /// ClusterConfiguration.
    pub fn init(bins: Binaries, node_names: &[&str], cluster_extra: &str) -> LabCluster {
        Self::init_with(bins, node_names, |cp| init_config(cp, cluster_extra))
    }

    /// As [`LabCluster::init`], with the kubeadm configuration `make_config` makes for the first
    /// node (e.g. [`init_config`] with a feature gate changed).
    pub fn init_with(
        bins: Binaries,
        node_names: &[&str],
        make_config: impl FnOnce(&LabNode) -> String,
    ) -> LabCluster {
        LabCluster::init_on_with(Lab::new(node_names), bins, make_config)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `kubeadm-rs init --upload-certs` on the lab's first node: its certificates, the test
    /// control plane at its address, its kubelet double, then `init` itself. A persistent lab
    /// also keeps the printed join command in its state directory, for [`LabCluster::open`].
    pub fn init_on(lab: Lab, bins: Binaries, cluster_extra: &str) -> Result<LabCluster, String> {
        LabCluster::init_on_with(lab, bins, |cp| init_config(cp, cluster_extra))
    }

    fn init_on_with(
        lab: Lab,
        bins: Binaries,
        make_config: impl FnOnce(&LabNode) -> String,
    ) -> Result<LabCluster, String> {
        let (scratch, temp) = match lab.state_dir() {
            Some(dir) => (dir.join("scratch"), None),
            None => {
                let temp = tempfile::tempdir().map_err(|e| format!("a scratch directory: {e}"))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
        let mut cluster = LabCluster {
            lab,
            bins,
            scratch,
            _scratch: temp,
            init_stdout: String::new(),
            join: PrintedJoin::default(),
            control_plane_pid: 0,
        };
        let cp = &cluster.lab.nodes()[0];
        let config = cp.root().join("kubeadm.yaml");
        std::fs::write(&config, make_config(cp))
            .map_err(|e| format!("{}: {e}", config.display()))?;
        succeeded(
            "kubeadm-rs init phase certs all",
            cluster
                .kubeadm(cp)
                .args(["init", "phase", "certs", "all", "--rootfs"])
                .arg(cp.root())
                .arg("--config")
                .arg(&config)
                .output(),
        )?;
        let mut server = cluster.lab.exec(cp, &cluster.bins.control_plane);
        server
            .arg("--pki-dir")
            .arg(cp.file("/etc/kubernetes/pki"))
            .arg("--listen")
            .arg(format!("{}:6443", cp.address))
            // CSRs are approved and signed as soon as a kubelet double asks.
            .args(["--controller-interval-ms", "20"]);
        cluster.control_plane_pid = cluster.lab.spawn("control-plane", server);
        cluster.start_kubelet(cp, &["kube-apiserver"]);
        let out = succeeded(
            "kubeadm-rs init",
            cluster
                .kubeadm(cp)
                .arg("init")
                .arg("--rootfs")
                .arg(cp.root())
                .arg("--config")
                .arg(&config)
                .args(["--upload-certs", "--ignore-preflight-errors=all"])
                .output(),
        )?;
        cluster.init_stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        cluster.join = PrintedJoin::find(&cluster.init_stdout)
            .ok_or_else(|| format!("init printed no join command:\n{}", cluster.init_stdout))?;
        if let Some(dir) = cluster.lab.state_dir() {
            let join = &cluster.join;
            let state = json!({
                "endpoint": join.endpoint,
                "token": join.token,
                "caCertHashes": join.ca_hashes,
                "certificateKey": join.certificate_key,
            });
            let file = dir.join(CLUSTER_FILE);
            std::fs::write(&file, state.to_string())
                .map_err(|e| format!("{}: {e}", file.display()))?;
        }
        Ok(cluster)
    }

    /// The cluster of a persistent lab that [`LabCluster::init_on`] initialised in another
    /// process.
    pub fn open(lab: Lab, bins: Binaries) -> Result<LabCluster, String> {
        let dir = lab
            .state_dir()
            .ok_or("only a persistent lab's cluster can be opened")?;
        let file = dir.join(CLUSTER_FILE);
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("{}: {e} (the cluster was not initialised)", file.display()))?;
        let state: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let text_of = |key: &str| state[key].as_str().unwrap_or_default().to_string();
        let join = PrintedJoin {
            endpoint: text_of("endpoint"),
            token: text_of("token"),
            ca_hashes: state["caCertHashes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str().map(String::from))
                .collect(),
            certificate_key: state["certificateKey"].as_str().map(String::from),
        };
        let scratch = dir.join("scratch");
        let control_plane_pid = lab.pid("control-plane").unwrap_or(0);
        Ok(LabCluster {
            lab,
            bins,
            scratch,
            _scratch: None,
            init_stdout: String::new(),
            join,
            control_plane_pid,
        })
    }

    pub fn cp(&self) -> &LabNode {
        &self.lab.nodes()[0]
    }

    pub fn node(&self, name: &str) -> &LabNode {
        self.lab.node(name)
    }

    /// `kubeadm-rs` inside the node's namespace, with colour off and no proxy settings.
    pub fn kubeadm(&self, node: &LabNode) -> Command {
        let mut cmd = self.lab.exec(node, &self.bins.kubeadm);
        cmd.env("NO_COLOR", "1");
        for proxy in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy",
        ] {
            cmd.env_remove(proxy);
        }
        cmd
    }

    /// Starts the kubelet double on `node` (label `kubelet-<name>`), leaving `skip` static
    /// pods to something else.
    pub fn start_kubelet(&self, node: &LabNode, skip: &[&str]) {
        let mut kubelet = self.lab.exec(node, &self.bins.kubelet);
        kubelet
            .arg("--rootfs")
            .arg(node.root())
            .args(["--node-name", &node.name]);
        for pod in skip {
            kubelet.args(["--skip-static-pod", pod]);
        }
        self.lab.spawn(&format!("kubelet-{}", node.name), kubelet);
    }

    /// `kubectl --kubeconfig <file> <args>` inside the node's namespace, never touching
    /// `~/.kube`, with a bounded request time.
    pub fn kubectl(&self, node: &LabNode, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut cmd = self.lab.exec(node, "kubectl");
        cmd.arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(self.scratch.join("kubectl-cache"))
            .arg("--request-timeout=10s")
            .args(args)
            .env("HOME", &self.scratch)
            .env_remove("KUBECONFIG")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy");
        cmd
    }

    /// `kubectl ... -o json` parsed; `Err` carries kubectl's stderr.
    pub fn kubectl_json(
        &self,
        node: &LabNode,
        kubeconfig: &Path,
        args: &[&str],
    ) -> Result<Value, String> {
        let out = self
            .kubectl(node, kubeconfig, &[args, &["-o", "json"]].concat())
            .output()
            .expect("kubectl runs");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("kubectl printed no JSON: {e}"))
    }

    /// The first control plane's admin.conf.
    pub fn admin(&self) -> PathBuf {
        self.cp().file("/etc/kubernetes/admin.conf")
    }

    /// A copy of a node's kubeconfig whose file references (node paths, such as kubelet.conf's
    /// `/var/lib/kubelet/pki/kubelet-client-current.pem`) point under the node's root.
    pub fn kubeconfig_on_root(&self, node: &LabNode, node_path: &str) -> PathBuf {
        let text = std::fs::read_to_string(node.file(node_path))
            .unwrap_or_else(|e| panic!("{node_path} on {}: {e}", node.name));
        let mapped: String = text
            .lines()
            .map(|line| {
                let trimmed = line.trim_start();
                let indent = &line[..line.len() - trimmed.len()];
                for key in [
                    "client-certificate: ",
                    "client-key: ",
                    "certificate-authority: ",
                ] {
                    if let Some(path) = trimmed.strip_prefix(key)
                        && path.starts_with('/')
                    {
                        return format!("{indent}{key}{}\n", node.file(path).display());
                    }
                }
                format!("{line}\n")
            })
            .collect();
        let file = self.scratch.join(format!(
            "{}-{}",
            node.name,
            node_path.trim_start_matches('/').replace('/', "-")
        ));
        std::fs::write(&file, mapped).expect("kubeconfig copy written");
        file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_join_commands_give_token_pins_and_certificate_key() {
        let text = "You can now join any number of control-plane nodes:

  kubeadm-rs join 10.200.0.11:6443 --token abcdef.0123456789abcdef \\
    --discovery-token-ca-cert-hash sha256:aa \\
    --control-plane --certificate-key 0f0f

Then you can join any number of worker nodes:

kubeadm-rs join 10.200.0.11:6443 --token abcdef.0123456789abcdef \\
    --discovery-token-ca-cert-hash sha256:aa
";
        let join = PrintedJoin::find(text).unwrap();
        assert_eq!(join.endpoint, "10.200.0.11:6443");
        assert_eq!(join.token, "abcdef.0123456789abcdef");
        assert_eq!(join.ca_hashes, ["sha256:aa"]);
        assert_eq!(join.certificate_key.as_deref(), Some("0f0f"));
        assert!(PrintedJoin::find("no command here").is_none());
    }
}
