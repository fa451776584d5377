use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::events::Events;

const PIN_A: &str = "sha256:181ea3313e3542f5c1791eec3e9b564435946203845b5eac793279df5779eea1";
const PIN_B: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
const KEY: &str = "2c3a0e4f6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677ab";

fn command(pins: &[&str]) -> JoinCommand {
    JoinCommand::new(
        "10.0.0.1:6443",
        pins.iter().map(|p| p.parse().unwrap()).collect(),
    )
}

fn token() -> BootstrapToken {
    "abcdef.0123456789abcdef".parse().unwrap()
}

#[test]
fn join_commands_follow_kubeadms_layout_byte_for_byte() {
    let key: CertificateKey = KEY.parse().unwrap();
    let t = token();
    let one_pin = command(&[PIN_A]);
    let two_pins = command(&[PIN_A, PIN_B]);
    let cases: Vec<(&str, String, String)> = vec![
        (
            "worker",
            one_pin.worker(Shown::Value(&t)),
            format!(
                "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash {PIN_A} "
            ),
        ),
        (
            "worker, one pin per CA",
            two_pins.worker(Shown::Value(&t)),
            format!(
                "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef \\\n\t\
                 --discovery-token-ca-cert-hash {PIN_A} --discovery-token-ca-cert-hash {PIN_B} "
            ),
        ),
        (
            "worker, token withheld",
            one_pin.worker(Shown::Withheld),
            format!(
                "kubeadm-rs join 10.0.0.1:6443 --token <value withheld> \\\n\t--discovery-token-ca-cert-hash {PIN_A} "
            ),
        ),
        (
            "control plane with the certificate key",
            one_pin.control_plane(Shown::Value(&t), Some(Shown::Value(&key))),
            format!(
                "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef \\\n\t\
                 --discovery-token-ca-cert-hash {PIN_A} \\\n\t--control-plane --certificate-key {KEY}"
            ),
        ),
        (
            "control plane, key withheld",
            one_pin.control_plane(Shown::Value(&t), Some(Shown::Withheld)),
            format!(
                "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef \\\n\t\
                 --discovery-token-ca-cert-hash {PIN_A} \\\n\t--control-plane --certificate-key <value withheld>"
            ),
        ),
        (
            "control plane without uploaded certificates",
            one_pin.control_plane(Shown::Withheld, None),
            format!(
                "kubeadm-rs join 10.0.0.1:6443 --token <value withheld> \\\n\t\
                 --discovery-token-ca-cert-hash {PIN_A} \\\n\t--control-plane "
            ),
        ),
    ];
    for (case, got, expected) in cases {
        assert_eq!(got, expected, "{case}");
    }
}

#[test]
fn token_create_prints_the_command_on_one_line() {
    let t = token();
    assert_eq!(
        on_one_line(&command(&[PIN_A]).worker(Shown::Value(&t))),
        format!(
            "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash {PIN_A} "
        )
    );
    let key: CertificateKey = KEY.parse().unwrap();
    assert_eq!(
        on_one_line(&command(&[PIN_A]).control_plane(Shown::Value(&t), Some(Shown::Value(&key)))),
        format!(
            "kubeadm-rs join 10.0.0.1:6443 --token abcdef.0123456789abcdef \
             --discovery-token-ca-cert-hash {PIN_A} --control-plane --certificate-key {KEY}"
        )
    );
}

fn ca_pem(name: &str) -> String {
    rcgen::generate_simple_self_signed(vec![name.to_string()])
        .unwrap()
        .cert
        .pem()
}

fn admin_conf(cluster_fields: &str) -> Kubeconfig {
    Kubeconfig::parse(&format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n{cluster_fields}    server: https://cp.example:6443\n  name: kubernetes\n\
         contexts:\n- context:\n    cluster: kubernetes\n    user: admin\n  name: admin@kubernetes\ncurrent-context: admin@kubernetes\n"
    ))
    .unwrap()
}

#[test]
fn the_endpoint_and_pins_come_from_the_kubeconfigs_current_cluster() {
    let bundle = format!("{}{}", ca_pem("a"), ca_pem("b"));
    let kubeconfig = admin_conf(&format!(
        "    certificate-authority-data: {}\n",
        STANDARD.encode(&bundle)
    ));
    let dir = tempfile::tempdir().unwrap();
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    let join =
        JoinCommand::from_kubeconfig(&kubeconfig, Path::new("/etc/kubernetes/admin.conf"), &root)
            .unwrap();
    assert_eq!(
        join,
        JoinCommand::new("cp.example:6443", ca_pins(bundle.as_bytes()).unwrap())
    );
    assert_eq!(join.ca_pins.len(), 2);
}

#[test]
fn a_ca_file_is_read_relative_to_the_kubeconfig() {
    let pem = ca_pem("a");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/kubernetes/pki")).unwrap();
    std::fs::write(dir.path().join("etc/kubernetes/pki/ca.crt"), &pem).unwrap();
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    let kubeconfig = admin_conf("    certificate-authority: pki/ca.crt\n");
    let join =
        JoinCommand::from_kubeconfig(&kubeconfig, Path::new("/etc/kubernetes/admin.conf"), &root)
            .unwrap();
    assert_eq!(join.ca_pins, ca_pins(pem.as_bytes()).unwrap());
}

#[test]
fn kubeconfigs_without_a_usable_ca_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = NodeRoot::open(dir.path(), Events::discard()).unwrap();
    let path = Path::new("/etc/kubernetes/admin.conf");
    let cases = [
        (
            "",
            "no CA certificates found in kubeconfig /etc/kubernetes/admin.conf",
        ),
        (
            "    certificate-authority-data: bm90IGEgY2VydGlmaWNhdGU=\n",
            "failed to parse CA certificate from kubeconfig /etc/kubernetes/admin.conf",
        ),
        (
            "    certificate-authority: /missing/ca.crt\n",
            "failed to load CA certificate referenced by kubeconfig /etc/kubernetes/admin.conf: /missing/ca.crt: no such file",
        ),
    ];
    for (fields, message) in cases {
        let err = JoinCommand::from_kubeconfig(&admin_conf(fields), path, &root).unwrap_err();
        assert!(err.to_string().starts_with(message), "{fields}: {err}");
    }
    let no_context = Kubeconfig::parse("apiVersion: v1\nkind: Config\n").unwrap();
    let err = JoinCommand::from_kubeconfig(&no_context, path, &root).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("malformed kubeconfig file: /etc/kubernetes/admin.conf")
    );
}
