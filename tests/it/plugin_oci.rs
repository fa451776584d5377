//! Plugins from an OCI registry: the real CNCF distribution registry (Debian's
//! `docker-registry`) on loopback with TLS (a CA made with rcgen) and bcrypt htpasswd basic
//! auth (`htpasswd -B` from apache2-utils). The example plugins are pushed with
//! `plugin push`, pulled into `init --dry-run` through `oci://` sources, and each failure
//! (tampered blob, wrong digest, missing tag, registry down, wrong credentials) is one
//! `error:` line, exit 1, and no plugin runs.

use crate::common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{kubeadm, run_ok, stderr, stdout};

const USER: &str = "distributor";
const PASSWORD: &str = "correct horse battery staple";

fn plugin(file: &str) -> PathBuf {
    PathBuf::from(env!("KUBEADM_RS_PLUGIN_DIR")).join(format!("{file}.wasm"))
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a server certificate for 127.0.0.1 signed by it, as PEM files in `dir`.
fn tls_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "registry test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let (ca_file, crt, pem_key) = (dir.join("ca.pem"), dir.join("tls.crt"), dir.join("tls.key"));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&crt, cert.pem()).unwrap();
    std::fs::write(&pem_key, key.serialize_pem()).unwrap();
    (ca_file, crt, pem_key)
}

/// A distribution registry of the test's own, stopped (by pid) when dropped.
struct Registry {
    child: Child,
    port: u16,
    storage: PathBuf,
    ca: PathBuf,
    dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let (ca, crt, key) = tls_files(dir.path());
        let htpasswd = common::run_ok(common::tool("htpasswd").args(["-Bbn", USER, PASSWORD]));
        let htpasswd_file = dir.path().join("htpasswd");
        std::fs::write(&htpasswd_file, &htpasswd.stdout).unwrap();
        let storage = dir.path().join("storage");
        let port = free_port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n\
                 auth:\n  htpasswd:\n    realm: kubeadm-rs-test\n    path: {}\n",
                storage.display(),
                crt.display(),
                key.display(),
                htpasswd_file.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = common::tool("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("docker-registry starts");
        let registry = Registry {
            child,
            port,
            storage,
            ca,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen on 127.0.0.1:{port}: {}",
                registry.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn reference(&self, repository_tag: &str) -> String {
        format!("oci://127.0.0.1:{}/{repository_tag}", self.port)
    }

    /// `plugin push FILE REFERENCE`, returning the digest-pinned reference it printed.
    fn push(&self, file: &Path, repository_tag: &str, extra: &[&str]) -> String {
        let out = run_ok(
            self.client(&mut kubeadm())
                .args(["plugin", "push"])
                .arg(file)
                .arg(self.reference(repository_tag))
                .arg("--ca-file")
                .arg(&self.ca)
                .args(extra),
        );
        let text = stdout(&out);
        text.lines()
            .find_map(|l| l.strip_prefix("pushed:"))
            .unwrap_or_else(|| panic!("no pushed: line in {text}"))
            .trim()
            .to_string()
    }

    /// The right credentials, and no docker config of the machine's.
    fn client<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("KUBEADM_RS_REGISTRY_USERNAME", USER)
            .env("KUBEADM_RS_REGISTRY_PASSWORD", PASSWORD)
            .env("DOCKER_CONFIG", self.dir.path().join("no-docker-config"))
    }

    /// The file the registry keeps a blob in (the filesystem driver's layout).
    fn blob_file(&self, digest_hex: &str) -> PathBuf {
        self.storage.join(format!(
            "docker/registry/v2/blobs/sha256/{}/{digest_hex}/data",
            &digest_hex[..2]
        ))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256_hex(file: &Path) -> String {
    let out = stdout(&run_ok(common::tool("sha256sum").arg(file)));
    out.split_whitespace().next().unwrap().to_string()
}

/// A minisign key pair made with the real CLI: the public key line and the secret key file.
fn key_pair(dir: &Path) -> (String, PathBuf) {
    let (public, secret) = (dir.join("acme.pub"), dir.join("acme.key"));
    run_ok(
        common::tool("minisign")
            .args(["-G", "-W", "-p"])
            .arg(&public)
            .arg("-s")
            .arg(&secret),
    );
    let text = std::fs::read_to_string(&public).unwrap();
    (text.lines().nth(1).unwrap().to_string(), secret)
}

/// A copy of an example plugin signed with `secret` (`<copy>.minisig` beside it).
fn signed_copy(dir: &Path, file: &str, secret: &Path) -> PathBuf {
    let copy = dir.join(format!("{file}.wasm"));
    std::fs::copy(plugin(file), &copy).unwrap();
    run_ok(
        common::tool("minisign")
            .arg("-S")
            .arg("-s")
            .arg(secret)
            .arg("-m")
            .arg(&copy)
            .stdin(Stdio::null()),
    );
    copy
}

/// A config with a pod subnet and the two plugins pulled from `net_sysctls` and `flannel`
/// (flannel's wasm pinned by `flannel_sha256` when given), trusting `key`; the CA is given
/// relative to the config file.
fn config(
    dir: &Path,
    ca: &Path,
    key: &str,
    net_sysctls: &str,
    flannel: &str,
    flannel_sha256: Option<&str>,
) -> PathBuf {
    let pin = flannel_sha256
        .map(|hex| format!("  sha256: {hex}\n"))
        .unwrap_or_default();
    std::fs::copy(ca, dir.join("registry-ca.pem")).unwrap();
    let path = dir.join("kubeadm.yaml");
    std::fs::write(
        &path,
        format!(
            r#"apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking:
  podSubnet: 10.244.0.0/16
---
apiVersion: kubeadm-rs.io/v1alpha1
kind: PluginConfiguration
trustedKeys:
- name: acme
  publicKey: {key}
plugins:
- name: net-sysctls
  source: {{oci: "{net_sysctls}", caFile: registry-ca.pem}}
  grants:
    sysctls: [net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables, net.ipv6.conf.all.forwarding, net.bridge.bridge-nf-call-ip6tables]
  onFailure: warn
- name: flannel
  source: {{oci: "{flannel}", caFile: registry-ca.pem}}
{pin}  grants:
    clusterApply:
    - {{kind: Namespace}}
    - {{kind: ServiceAccount, namespaces: [kube-flannel]}}
    - {{kind: ClusterRole}}
    - {{kind: ClusterRoleBinding}}
    - {{kind: ConfigMap, namespaces: [kube-flannel]}}
    - {{kind: DaemonSet, namespaces: [kube-flannel]}}
  parameters: {{backend: vxlan}}
"#
        ),
    )
    .unwrap();
    path
}

/// `init --dry-run` with preflight skipped (node facts differ between machines; the preflight
/// plugin is still pulled and loaded), credentials from the environment.
fn dry_run(config: &Path, root: &Path, password: &str) -> Output {
    kubeadm()
        .env("KUBEADM_RS_REGISTRY_USERNAME", USER)
        .env("KUBEADM_RS_REGISTRY_PASSWORD", password)
        .env("DOCKER_CONFIG", root.join("no-docker-config"))
        .args(["init", "--dry-run", "--config"])
        .arg(config)
        .args([
            "--skip-phases",
            "preflight,upload-config,upload-certs,mark-control-plane,bootstrap-token,addon/coredns,addon/kube-proxy,show-join-command",
            "--node-name",
            "node-1",
            "--rootfs",
        ])
        .arg(root)
        .output()
        .unwrap()
}

fn pull_cache(root: &Path) -> PathBuf {
    root.join("var/cache/kubeadm-rs/plugins/oci")
}

#[test]
fn pushed_plugins_are_pulled_into_init_dry_run_and_a_second_run_needs_no_registry() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let (key, secret) = key_pair(dir.path());
    // net-sysctls unsigned (pinned by the manifest digest alone), flannel signed.
    let net_sysctls = registry.push(&plugin("net_sysctls"), "plugins/net-sysctls:1.0", &[]);
    let flannel_file = signed_copy(dir.path(), "flannel", &secret);
    let flannel = registry.push(&flannel_file, "plugins/flannel:1.0", &[]);
    assert!(net_sysctls.contains("@sha256:") && flannel.contains("@sha256:"));
    // Pushing the same bytes again gives the same digest: the artifact is reproducible.
    assert_eq!(
        registry.push(&flannel_file, "plugins/flannel:1.0", &[]),
        flannel
    );

    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let config = config(dir.path(), &registry.ca, &key, &net_sysctls, &flannel, None);
    let out = dry_run(&config, &root, PASSWORD);
    let log = stderr(&out);
    assert!(out.status.success(), "{log}\n{}", registry.log());
    for reference in [&net_sysctls, &flannel] {
        assert!(log.contains(&format!("pulled {reference}")), "{log}");
    }
    assert!(log.contains("✓ addon/flannel"), "{log}");
    assert!(
        !log.contains(PASSWORD),
        "the password is never shown: {log}"
    );
    let manifests = stdout(&out);
    assert!(
        manifests.contains("kind: DaemonSet") && manifests.contains("10.244.0.0/16"),
        "{manifests}"
    );
    // The blobs are cached by digest, closed to other users.
    let blob = pull_cache(&root).join(format!("sha256-{}.wasm", sha256_hex(&flannel_file)));
    assert_eq!(
        std::fs::read(&blob).unwrap(),
        std::fs::read(&flannel_file).unwrap()
    );
    let mode = |p: &Path| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(p).unwrap().mode() & 0o777
    };
    assert_eq!(mode(&blob), 0o600);
    assert_eq!(mode(&pull_cache(&root)), 0o700);

    // The registry is gone: the digest-pinned plugins come from the cache.
    drop(registry);
    let again = dry_run(&config, &root, PASSWORD);
    let log = stderr(&again);
    assert!(again.status.success(), "{log}");
    assert!(!log.contains("pulled "), "{log}");
    assert!(stdout(&again).contains("kind: DaemonSet"));
}

#[test]
fn plugin_pull_writes_the_wasm_and_its_signature() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let (_, secret) = key_pair(dir.path());
    let signed = signed_copy(dir.path(), "min_resources", &secret);
    let reference = registry.push(&signed, "plugins/min-resources:2", &[]);
    let out_file = dir.path().join("pulled/min.wasm");
    std::fs::create_dir(dir.path().join("pulled")).unwrap();
    let out = run_ok(
        registry
            .client(&mut kubeadm())
            .args(["plugin", "pull", &reference, "-o"])
            .arg(&out_file)
            .arg("--ca-file")
            .arg(&registry.ca),
    );
    assert!(
        stdout(&out).contains(&format!("sha256:   {}", sha256_hex(&signed))),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read(&out_file).unwrap(),
        std::fs::read(&signed).unwrap()
    );
    let mut minisig = signed.clone().into_os_string();
    minisig.push(".minisig");
    assert_eq!(
        std::fs::read_to_string(out_file.with_extension("wasm.minisig")).unwrap(),
        std::fs::read_to_string(&minisig).unwrap()
    );
    // The pulled copy verifies with the real minisign.
    let public = dir.path().join("acme.pub");
    run_ok(
        common::tool("minisign")
            .arg("-V")
            .arg("-p")
            .arg(&public)
            .arg("-m")
            .arg(&out_file),
    );
}

/// One failing `init --dry-run`: exit 1, exactly one `error:` line naming the plugin and
/// containing `expect`, and no plugin ran (no manifests rendered, no phase passed).
fn assert_refused(out: &Output, case: &str, expect: &str) {
    let log = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{case}: {log}");
    let errors: Vec<&str> = log.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{case}: {log}");
    assert!(
        errors[0].contains("plugin flannel") && errors[0].contains(expect),
        "{case}: expected {expect:?} in {:?}",
        errors[0]
    );
    assert!(!log.contains(PASSWORD), "{case}: {log}");
    assert!(!log.contains("✓ addon/flannel"), "{case}: {log}");
    assert!(!stdout(out).contains("kind: DaemonSet"), "{case}");
}

#[test]
fn each_registry_failure_is_one_error_and_nothing_runs() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = key_pair(dir.path());
    let net_sysctls = registry.push(&plugin("net_sysctls"), "plugins/net-sysctls:1.0", &[]);
    let flannel = registry.push(&plugin("flannel"), "plugins/flannel:1.0", &[]);
    let flannel_hex = sha256_hex(&plugin("flannel"));
    let base = flannel.split('@').next().unwrap().to_string();
    let wrong_digest = format!("{base}@sha256:{}", "0".repeat(64));
    // A tag-only reference, so the wasm is pinned by the plugin's sha256 instead.
    let missing_tag = registry.reference("plugins/flannel:no-such-tag");
    let down = format!(
        "oci://127.0.0.1:{}/plugins/flannel:1.0@{}",
        free_port(),
        flannel.split('@').nth(1).unwrap()
    );

    let run = |case: &str, flannel_ref: &str, password: &str| {
        let case_dir = dir.path().join(case);
        std::fs::create_dir_all(case_dir.join("root")).unwrap();
        let pin = (!flannel_ref.contains('@')).then_some(flannel_hex.as_str());
        let config = config(
            &case_dir,
            &registry.ca,
            &key,
            &net_sysctls,
            flannel_ref,
            pin,
        );
        let out = dry_run(&config, &case_dir.join("root"), password);
        (out, case_dir.join("root"))
    };

    let (out, _) = run("wrong-digest", &wrong_digest, PASSWORD);
    assert_refused(&out, "wrong digest", "the registry has no such artifact");
    let (out, _) = run("missing-tag", &missing_tag, PASSWORD);
    assert_refused(&out, "missing tag", "the registry has no such artifact");
    let (out, _) = run("down", &down, PASSWORD);
    assert_refused(&out, "registry down", "cannot reach the registry");
    let (out, _) = run("credentials", &flannel, "wrong password");
    assert_refused(&out, "wrong credentials", "refused the credentials");

    // A changed byte in the registry's copy of the wasm: refused, and nothing is cached.
    let blob = registry.blob_file(&flannel_hex);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let (out, root) = run("tampered", &flannel, PASSWORD);
    assert_refused(&out, "tampered blob", "tampered or corrupt");
    assert!(
        !pull_cache(&root)
            .join(format!("sha256-{flannel_hex}.wasm"))
            .exists(),
        "a tampered blob is not cached"
    );
}

#[test]
fn an_unpinned_reference_is_refused_by_the_configuration_check() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "").unwrap();
    let config = config(
        dir.path(),
        &ca,
        "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
        "oci://127.0.0.1:9/plugins/net-sysctls:1.0",
        "oci://127.0.0.1:9/plugins/flannel:1.0",
        None,
    );
    let out = dry_run(&config, dir.path(), PASSWORD);
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("plugins[0].source.oci") && log.contains("is not pinned"),
        "{log}"
    );
}
