//! Full `kubeadm-rs init` against the test control plane on loopback, checked with kubectl,
//! openssl, an anonymous HTTPS client and decryption written here: kubeadm's objects, the
//! public and signed cluster-info, the join command and CA pin, uploaded certificates,
//! re-runs, dry-run, and API servers that refuse, fail or hang.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{run_err, run_ok, stderr, stdout, tool};
use kubeadm_rs_tests::cluster_fixture::{Fault, JoinCommand, Kubectl, Node, verify_bootstrap_jws};
use kubeadm_rs_tests::control_plane::client::KubeClient;
use kubeadm_rs_tests::control_plane::{JWS_KEY_PREFIX, Running};
use serde_json::Value;

/// The group every kubeadm bootstrap token authenticates into.
const NODE_TOKEN_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";

/// `kubeadm-rs init --rootfs <root> --config <file> <extra>` (preflight findings are this
/// test host's, not the node's, so they are demoted to warnings).
fn init(node: &Node, extra: &[&str]) -> Output {
    common::kubeadm()
        .arg("init")
        .arg("--rootfs")
        .arg(node.path())
        .arg("--config")
        .arg(node.config_path())
        .arg("--ignore-preflight-errors=all")
        .args(extra)
        .output()
        .expect("kubeadm-rs runs")
}

fn init_ok(node: &Node, extra: &[&str]) -> Output {
    let out = init(node, extra);
    assert!(
        out.status.success(),
        "init failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A node root, the control plane serving it, and kubectl.
fn cluster() -> (Node, Running, Kubectl) {
    let mut node = Node::prepare();
    let cp = node.start_control_plane();
    (node, cp, Kubectl::new())
}

/// The join commands init printed: the control-plane one, then the worker one.
fn printed_joins(out: &Output) -> (JoinCommand, JoinCommand) {
    let joins = JoinCommand::all_in(&stdout(out)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(joins.len(), 2, "two join commands:\n{}", stdout(out));
    let (cp, worker) = (joins[0].clone(), joins[1].clone());
    assert!(cp.control_plane && !worker.control_plane, "{joins:?}");
    (cp, worker)
}

/// `sha256:` + the SHA-256 of the CA's DER SubjectPublicKeyInfo, by the openssl pipeline.
fn openssl_ca_hash(ca: &Path) -> String {
    let script = format!(
        "openssl x509 -pubkey -noout -in '{}' | openssl pkey -pubin -outform der | openssl dgst -sha256 -r",
        ca.display()
    );
    let out = run_ok(tool("bash").args(["-o", "pipefail", "-c", &script]));
    let hex = stdout(&out).split_whitespace().next().unwrap().to_string();
    assert_eq!(hex.len(), 64, "{}", stdout(&out));
    format!("sha256:{hex}")
}

fn names(items: &Value) -> BTreeSet<String> {
    items["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["kind"].as_str().unwrap(),
                i["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

/// `kubectl get <kind>/<name>...` in one namespace ("" for cluster-scoped), by admin.conf.
fn get_all(k: &Kubectl, node: &Node, namespace: &str, objects: &[String]) -> Value {
    let mut args: Vec<&str> = vec!["get"];
    if !namespace.is_empty() {
        args.extend(["-n", namespace]);
    }
    args.extend(objects.iter().map(String::as_str));
    k.json(&node.admin(), &args)
        .unwrap_or_else(|e| panic!("in {namespace:?}, kubectl get {objects:?}:\n{e}"))
}

fn subjects(binding: &Value) -> BTreeSet<String> {
    binding["subjects"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| match s["namespace"].as_str() {
                    Some(ns) => format!(
                        "{}:{ns}/{}",
                        s["kind"].as_str().unwrap(),
                        s["name"].as_str().unwrap()
                    ),
                    None => format!(
                        "{}:{}",
                        s["kind"].as_str().unwrap(),
                        s["name"].as_str().unwrap()
                    ),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A binding kubeadm creates: (namespace, name, roleRef kind/name, subjects).
type Binding = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const BINDINGS: &[Binding] = &[
    (
        "",
        "kubeadm:cluster-admins",
        "ClusterRole/cluster-admin",
        &["Group:kubeadm:cluster-admins"],
    ),
    (
        "",
        "kubeadm:kubelet-bootstrap",
        "ClusterRole/system:node-bootstrapper",
        &["Group:system:bootstrappers:kubeadm:default-node-token"],
    ),
    (
        "",
        "kubeadm:get-nodes",
        "ClusterRole/kubeadm:get-nodes",
        &["Group:system:bootstrappers:kubeadm:default-node-token"],
    ),
    (
        "",
        "kubeadm:node-autoapprove-bootstrap",
        "ClusterRole/system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        &["Group:system:bootstrappers:kubeadm:default-node-token"],
    ),
    (
        "",
        "kubeadm:node-autoapprove-certificate-rotation",
        "ClusterRole/system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        &["Group:system:nodes"],
    ),
    (
        "",
        "system:coredns",
        "ClusterRole/system:coredns",
        &["ServiceAccount:kube-system/coredns"],
    ),
    (
        "",
        "kubeadm:node-proxier",
        "ClusterRole/system:node-proxier",
        &["ServiceAccount:kube-system/kube-proxy"],
    ),
    (
        "kube-system",
        "kubeadm:nodes-kubeadm-config",
        "Role/kubeadm:nodes-kubeadm-config",
        &[
            "Group:system:bootstrappers:kubeadm:default-node-token",
            "Group:system:nodes",
        ],
    ),
    (
        "kube-system",
        "kubeadm:kubelet-config",
        "Role/kubeadm:kubelet-config",
        &[
            "Group:system:bootstrappers:kubeadm:default-node-token",
            "Group:system:nodes",
        ],
    ),
    (
        "kube-system",
        "kube-proxy",
        "Role/kube-proxy",
        &["Group:system:bootstrappers:kubeadm:default-node-token"],
    ),
    (
        "kube-public",
        "kubeadm:bootstrap-signer-clusterinfo",
        "Role/kubeadm:bootstrap-signer-clusterinfo",
        &["User:system:anonymous"],
    ),
];

/// A role kubeadm creates that lets its subjects get one object: (namespace, name, resource, object).
const GET_ONE_ROLES: &[(&str, &str, &str, &str)] = &[
    (
        "kube-system",
        "kubeadm:nodes-kubeadm-config",
        "configmaps",
        "kubeadm-config",
    ),
    (
        "kube-system",
        "kubeadm:kubelet-config",
        "configmaps",
        "kubelet-config",
    ),
    ("kube-system", "kube-proxy", "configmaps", "kube-proxy"),
    (
        "kube-public",
        "kubeadm:bootstrap-signer-clusterinfo",
        "configmaps",
        "cluster-info",
    ),
];

/// The other objects, by namespace: `kind/name` as kubectl names them.
const OTHER_OBJECTS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "clusterrole/kubeadm:get-nodes",
            "clusterrole/system:coredns",
            "node/node-a",
        ],
    ),
    (
        "kube-system",
        &[
            "configmap/kubeadm-config",
            "configmap/kubelet-config",
            "configmap/coredns",
            "configmap/kube-proxy",
            "serviceaccount/coredns",
            "serviceaccount/kube-proxy",
            "deployment/coredns",
            "service/kube-dns",
            "daemonset/kube-proxy",
        ],
    ),
    ("kube-public", &["configmap/cluster-info"]),
];

/// The kind kubectl's lower-case resource name stands for.
fn kind_of(kubectl_name: &str) -> &'static str {
    match kubectl_name {
        "clusterrole" => "ClusterRole",
        "configmap" => "ConfigMap",
        "serviceaccount" => "ServiceAccount",
        "deployment" => "Deployment",
        "service" => "Service",
        "daemonset" => "DaemonSet",
        other => panic!("no kind for {other}"),
    }
}

fn find<'a>(list: &'a Value, kind: &str, name: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind && i["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} is missing"))
}

/// Every object kubeadm's init creates, with its bindings' roles and subjects and the
/// one-object roles' rules.
fn assert_kubeadm_objects(k: &Kubectl, node: &Node, token_id: &str) {
    for namespace in ["", "kube-system", "kube-public"] {
        let mut wanted: Vec<String> = Vec::new();
        for (ns, name, _, _) in BINDINGS.iter().filter(|b| b.0 == namespace) {
            let kind = if ns.is_empty() {
                "clusterrolebinding"
            } else {
                "rolebinding"
            };
            wanted.push(format!("{kind}/{name}"));
        }
        for (_, name, _, _) in GET_ONE_ROLES.iter().filter(|r| r.0 == namespace) {
            wanted.push(format!("role/{name}"));
        }
        for (_, objects) in OTHER_OBJECTS.iter().filter(|o| o.0 == namespace) {
            wanted.extend(objects.iter().map(|o| o.to_string()));
        }
        if namespace == "kube-system" {
            wanted.push(format!("secret/bootstrap-token-{token_id}"));
        }
        let list = get_all(k, node, namespace, &wanted);
        assert_eq!(names(&list).len(), wanted.len(), "{:?}", names(&list));

        for (_, name, role_ref, want) in BINDINGS.iter().filter(|b| b.0 == namespace) {
            let kind = if namespace.is_empty() {
                "ClusterRoleBinding"
            } else {
                "RoleBinding"
            };
            let b = find(&list, kind, name);
            let got_ref = format!(
                "{}/{}",
                b["roleRef"]["kind"].as_str().unwrap(),
                b["roleRef"]["name"].as_str().unwrap()
            );
            assert_eq!(&got_ref, role_ref, "{kind} {name}");
            let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(subjects(b), want, "{kind} {name}");
        }
        for (_, name, resource, object) in GET_ONE_ROLES.iter().filter(|r| r.0 == namespace) {
            let role = find(&list, "Role", name);
            assert_eq!(
                role["rules"],
                serde_json::json!([{"apiGroups": [""], "resources": [resource], "resourceNames": [object], "verbs": ["get"]}]),
                "Role {name}"
            );
        }
        if namespace == "kube-system" {
            let kubeadm_config = find(&list, "ConfigMap", "kubeadm-config");
            let text = kubeadm_config["data"]["ClusterConfiguration"]
                .as_str()
                .expect("ClusterConfiguration key");
            assert!(text.contains("kind: ClusterConfiguration"), "{text}");
            assert!(
                text.contains(&format!(
                    "controlPlaneEndpoint: 127.0.0.1:{}",
                    node.config.ports.api
                )),
                "{text}"
            );
            let kubelet = find(&list, "ConfigMap", "kubelet-config");
            let text = kubelet["data"]["kubelet"].as_str().expect("kubelet key");
            assert!(text.contains("kind: KubeletConfiguration"), "{text}");
            let secret = find(&list, "Secret", &format!("bootstrap-token-{token_id}"));
            assert_eq!(secret["type"], "bootstrap.kubernetes.io/token");
            let data = |key: &str| {
                String::from_utf8(
                    STANDARD
                        .decode(
                            secret["data"][key]
                                .as_str()
                                .unwrap_or_else(|| panic!("no {key}")),
                        )
                        .unwrap(),
                )
                .unwrap()
            };
            assert_eq!(data("token-id"), token_id);
            assert_eq!(data("usage-bootstrap-authentication"), "true");
            assert_eq!(data("usage-bootstrap-signing"), "true");
            assert_eq!(data("auth-extra-groups"), NODE_TOKEN_GROUP);
            let proxy = find(&list, "ConfigMap", "kube-proxy");
            assert!(
                proxy["data"]["config.conf"]
                    .as_str()
                    .is_some_and(|c| c.contains("kind: KubeProxyConfiguration")),
                "{proxy}"
            );
            assert!(proxy["data"]["kubeconfig.conf"].is_string(), "{proxy}");
            let corefile = find(&list, "ConfigMap", "coredns")["data"]["Corefile"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(
                corefile.contains("kubernetes cluster.local in-addr.arpa ip6.arpa"),
                "{corefile}"
            );
        }
        if namespace.is_empty() {
            let get_nodes = find(&list, "ClusterRole", "kubeadm:get-nodes");
            assert_eq!(
                get_nodes["rules"],
                serde_json::json!([{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}])
            );
            let n = find(&list, "Node", "node-a");
            assert_eq!(
                n["metadata"]["labels"]["node-role.kubernetes.io/control-plane"], "",
                "{n}"
            );
            assert_eq!(
                n["metadata"]["labels"]["node.kubernetes.io/exclude-from-external-load-balancers"],
                "",
                "{n}"
            );
            assert_eq!(
                n["spec"]["taints"],
                serde_json::json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
                "{n}"
            );
        }
    }
}

/// kubeadm's closing text (`show-join-command`, upstream's template), for a control-plane
/// endpoint, with or without uploaded certificates; the join commands' continuation lines
/// start with a tab, as upstream's join template (and its tests) have them.
fn closing_text(endpoint: &str, token: &str, hash: &str, certificate_key: Option<&str>) -> String {
    let control_plane = match certificate_key {
        Some(key) => format!(
            "You can now join any number of control-plane nodes running the following command on each as root:

  kubeadm-rs join {endpoint} --token {token} \\
\t--discovery-token-ca-cert-hash {hash} \\
\t--control-plane --certificate-key {key}

Please note that the certificate-key gives access to cluster sensitive data, keep it secret!
As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use
\"kubeadm init phase upload-certs --upload-certs\" to reload certs afterward.
"
        ),
        None => format!(
            "You can now join any number of control-plane nodes by copying certificate authorities
and service account keys on each node and then running the following as root:

  kubeadm-rs join {endpoint} --token {token} \\
\t--discovery-token-ca-cert-hash {hash} \\
\t--control-plane
"
        ),
    };
    format!(
        "Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run \"kubectl apply -f [podnetwork].yaml\" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

{control_plane}
Then you can join any number of worker nodes by running the following on each as root:

kubeadm-rs join {endpoint} --token {token} \\
\t--discovery-token-ca-cert-hash {hash}
"
    )
}

/// Stdout ends with the closing text; lines are compared without trailing blanks (upstream's
/// template leaves some after the last flag).
fn assert_closing_text(stdout: &str, endpoint: &str, token: &str, hash: &str, key: Option<&str>) {
    let trimmed: String = stdout
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    let expected = closing_text(endpoint, token, hash, key);
    assert!(
        trimmed.ends_with(&expected),
        "stdout ends with kubeadm's closing text:\n{stdout}\n--- expected ending ---\n{expected}"
    );
}

#[test]
fn init_creates_kubeadms_objects_and_prints_the_join_commands() {
    let (node, _cp, k) = cluster();
    let kubelet_conf_before = std::fs::read(node.kubelet_conf()).unwrap();
    let out = init_ok(&node, &[]);
    let text = stdout(&out);
    let (cp_join, worker) = printed_joins(&out);

    let endpoint = format!("127.0.0.1:{}", node.config.ports.api);
    let hash = openssl_ca_hash(&node.ca());
    for join in [&cp_join, &worker] {
        assert_eq!(join.endpoint, endpoint);
        assert_eq!(
            join.ca_hashes,
            vec![hash.clone()],
            "the printed pin is openssl's"
        );
        assert_eq!(join.certificate_key, None);
    }
    assert_eq!(cp_join.token, worker.token);
    assert_kubeadm_objects(&k, &node, worker.token_id());

    let endpoint = format!("127.0.0.1:{}", node.config.ports.api);
    assert_closing_text(&text, &endpoint, &worker.token, &hash, None);
    // No kubelet client certificate was rotated in: kubelet.conf stays as written.
    assert_eq!(
        std::fs::read(node.kubelet_conf()).unwrap(),
        kubelet_conf_before
    );
}

#[test]
fn cluster_info_is_public_signed_for_the_token_and_secrets_are_not() {
    let (node, cp, k) = cluster();
    let out = init_ok(&node, &[]);
    let (_, worker) = printed_joins(&out);
    cp.sync_controllers().expect("bootstrapsigner runs");

    let ca = std::fs::read(node.ca()).unwrap();
    let anonymous = KubeClient::new(&node.api_url(), &ca, None, None).expect("an anonymous client");
    let info = cp
        .runtime()
        .block_on(anonymous.get("/api/v1/namespaces/kube-public/configmaps/cluster-info"))
        .expect("the API answers");
    assert_eq!(
        info.status, 200,
        "anonymous may read cluster-info: {}",
        info.body
    );
    let secret = cp
        .runtime()
        .block_on(anonymous.get(&format!(
            "/api/v1/namespaces/kube-system/secrets/bootstrap-token-{}",
            worker.token_id()
        )))
        .expect("the API answers");
    assert_eq!(
        secret.status, 403,
        "anonymous may not read Secrets: {}",
        secret.body
    );

    // The payload: a kubeconfig with only the cluster (server and CA), no credentials.
    let payload = info.body["data"]["kubeconfig"]
        .as_str()
        .expect("a kubeconfig key");
    let kubeconfig_file = k.scratch().join("cluster-info.conf");
    std::fs::write(&kubeconfig_file, payload).unwrap();
    let view: Value = serde_json::from_str(&stdout(&run_ok(
        &mut k.cmd(&kubeconfig_file, &["config", "view", "--raw", "-o", "json"]),
    )))
    .unwrap();
    assert_eq!(view["clusters"].as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(view["clusters"][0]["cluster"]["server"], node.api_url());
    let ca_data = view["clusters"][0]["cluster"]["certificate-authority-data"]
        .as_str()
        .unwrap();
    assert_eq!(STANDARD.decode(ca_data).unwrap(), ca, "the cluster CA");
    assert!(
        view["users"].as_array().is_none_or(Vec::is_empty),
        "no credentials: {view}"
    );

    let jws = info.body["data"][format!("{JWS_KEY_PREFIX}{}", worker.token_id())]
        .as_str()
        .unwrap_or_else(|| panic!("a signature for the printed token: {}", info.body));
    verify_bootstrap_jws(jws, payload, &worker.token).expect("the signature verifies");
    let mut tampered = payload.to_string();
    tampered.push('\n');
    assert!(
        verify_bootstrap_jws(jws, &tampered, &worker.token).is_err(),
        "the check can fail"
    );
}

#[test]
fn kubelet_finalize_points_kubelet_conf_at_the_rotated_client_certificate() {
    let (node, _cp, k) = cluster();
    // What the kubelet leaves after its TLS bootstrap: cert and key in one PEM, signed by the cluster CA.
    let pki = node.file("/var/lib/kubelet/pki");
    std::fs::create_dir_all(&pki).unwrap();
    let current = pki.join("kubelet-client-current.pem");
    let key = pki.join("client.key");
    let crt = pki.join("client.crt");
    let ext = pki.join("ext.cnf");
    std::fs::write(
        &ext,
        "extendedKeyUsage = clientAuth\nkeyUsage = critical, digitalSignature\n",
    )
    .unwrap();
    let ca_key = node.pki().join("ca.key");
    let script = format!(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '{key}' -subj '/O=system:nodes/CN=system:node:node-a' \
         | openssl x509 -req -CA '{ca}' -CAkey '{ca_key}' -CAcreateserial -days 1 -extfile '{ext}' -out '{crt}'",
        key = key.display(),
        ca = node.ca().display(),
        ca_key = ca_key.display(),
        ext = ext.display(),
        crt = crt.display(),
    );
    run_ok(tool("bash").args(["-o", "pipefail", "-c", &script]));
    let pem = [std::fs::read(&crt).unwrap(), std::fs::read(&key).unwrap()].concat();
    std::fs::write(&current, pem).unwrap();

    init_ok(&node, &[]);

    let conf: Value = serde_json::from_str(&stdout(&run_ok(&mut k.cmd(
        &node.kubelet_conf(),
        &["config", "view", "--raw", "-o", "json"],
    ))))
    .unwrap();
    let users = conf["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{conf}");
    assert_eq!(users[0]["name"], "system:node:node-a");
    let node_path = "/var/lib/kubelet/pki/kubelet-client-current.pem";
    assert_eq!(
        users[0]["user"],
        serde_json::json!({"client-certificate": node_path, "client-key": node_path})
    );

    // With the node path mapped into the root, the rewritten kubeconfig authenticates as the node.
    let text = std::fs::read_to_string(node.kubelet_conf()).unwrap();
    let mapped = k.scratch().join("kubelet.conf");
    std::fs::write(&mapped, text.replace(node_path, current.to_str().unwrap())).unwrap();
    let got = k
        .json(&node.on_loopback(&mapped), &["get", "node", "node-a"])
        .expect("the node reads itself");
    assert_eq!(got["metadata"]["name"], "node-a");
}

/// Every object in the namespaces and kinds init writes, as `kind/namespace/name` (read with
/// super-admin.conf, whose group needs no binding).
fn inventory(k: &Kubectl, node: &Node) -> BTreeSet<String> {
    let list = k
        .json(
            &node.super_admin(),
            &[
                "get",
                "-A",
                "configmaps,secrets,serviceaccounts,services,roles,rolebindings,deployments,daemonsets",
            ],
        )
        .expect("namespaced objects list");
    let cluster = k
        .json(
            &node.super_admin(),
            &["get", "clusterroles,clusterrolebindings,nodes"],
        )
        .expect("cluster objects list");
    [list, cluster]
        .iter()
        .flat_map(|l| l["items"].as_array().unwrap().clone())
        .map(|i| {
            format!(
                "{}/{}/{}",
                i["kind"].as_str().unwrap(),
                i["metadata"]["namespace"].as_str().unwrap_or(""),
                i["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn init_run_again_converges() {
    // A fixed token: a generated one would be a new token Secret each run, as with kubeadm.
    let mut node = Node::prepare_with(|c| {
        c.init_extra = "bootstrapTokens:\n- token: abcdef.0123456789abcdef\n".into()
    });
    let _cp = node.start_control_plane();
    let k = Kubectl::new();
    init_ok(&node, &[]);
    let first = inventory(&k, &node);
    let second_run = init_ok(&node, &[]);
    assert_eq!(
        inventory(&k, &node),
        first,
        "the second run neither adds nor removes objects"
    );
    let (_, worker) = printed_joins(&second_run);
    assert_eq!(worker.token, "abcdef.0123456789abcdef");
}

#[test]
fn dry_run_prints_the_objects_and_creates_nothing() {
    let (node, _cp, k) = cluster();
    let before_objects = inventory(&k, &node);
    let before_files = common::tree(node.path());
    let out = common::kubeadm()
        .args(["init", "--dry-run", "--config"])
        .arg(node.config_path())
        .arg("--ignore-preflight-errors=all")
        .output()
        .expect("kubeadm-rs runs");
    assert!(
        out.status.success(),
        "dry-run failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    // Each object is shown as YAML after a `[dryrun] Attached object:` line.
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    let shown: Vec<&str> = printed.split("[dryrun] Attached object:").skip(1).collect();
    let (_, worker) = printed_joins(&out);
    let token_secret = format!("bootstrap-token-{}", worker.token_id());
    let mut wanted: Vec<(&str, &str)> = vec![("Secret", &token_secret)];
    for (ns, name, _, _) in BINDINGS {
        // kubeadm binds admin.conf's group only with a real client, not in dry-run.
        if *name != "kubeadm:cluster-admins" {
            let kind = if ns.is_empty() {
                "ClusterRoleBinding"
            } else {
                "RoleBinding"
            };
            wanted.push((kind, name));
        }
    }
    wanted.extend(GET_ONE_ROLES.iter().map(|(_, name, _, _)| ("Role", *name)));
    for (_, objects) in OTHER_OBJECTS {
        for object in objects.iter().filter(|o| !o.starts_with("node/")) {
            let (kind, name) = object.split_once('/').unwrap();
            wanted.push((kind_of(kind), name));
        }
    }
    for (kind, name) in wanted {
        assert!(
            shown
                .iter()
                .any(|doc| doc.contains(&format!("\nkind: {kind}\n"))
                    && doc.contains(&format!("\n  name: {name}\n"))),
            "dry-run shows {kind} {name}:\n{printed}"
        );
    }
    assert_eq!(
        worker.endpoint,
        format!("127.0.0.1:{}", node.config.ports.api)
    );
    assert_eq!(inventory(&k, &node), before_objects, "nothing was created");
    assert_eq!(
        common::tree(node.path()),
        before_files,
        "the node root is untouched"
    );
}

/// AES-256-GCM as kubeadm's certificate upload uses it: nonce(12) ‖ ciphertext ‖ tag.
fn decrypt(key: &[u8], sealed: &[u8]) -> Vec<u8> {
    assert!(
        sealed.len() > NONCE_LEN,
        "{} bytes is too short",
        sealed.len()
    );
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key"));
    let mut buf = ciphertext.to_vec();
    let plain = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce).unwrap(),
            Aad::empty(),
            &mut buf,
        )
        .expect("the data decrypts with the printed key");
    plain.to_vec()
}

#[test]
fn uploaded_certificates_decrypt_with_the_printed_key_and_match_the_files() {
    let (node, _cp, k) = cluster();
    let out = init_ok(&node, &["--upload-certs"]);
    let (cp_join, worker) = printed_joins(&out);
    let key_hex = cp_join
        .certificate_key
        .clone()
        .expect("--certificate-key in the control-plane join");
    assert_eq!(worker.certificate_key, None);
    assert_eq!(cp_join.token, worker.token);
    assert_closing_text(
        &stdout(&out),
        &format!("127.0.0.1:{}", node.config.ports.api),
        &worker.token,
        &openssl_ca_hash(&node.ca()),
        Some(&key_hex),
    );
    let key = hex_decode(&key_hex);

    let secret = k
        .json(
            &node.admin(),
            &["get", "secret", "kubeadm-certs", "-n", "kube-system"],
        )
        .expect("kube-system/kubeadm-certs exists");
    let data = secret["data"].as_object().unwrap();
    let files = [
        ("ca.crt", "ca.crt"),
        ("ca.key", "ca.key"),
        ("front-proxy-ca.crt", "front-proxy-ca.crt"),
        ("front-proxy-ca.key", "front-proxy-ca.key"),
        ("sa.pub", "sa.pub"),
        ("sa.key", "sa.key"),
        ("etcd-ca.crt", "etcd/ca.crt"),
        ("etcd-ca.key", "etcd/ca.key"),
    ];
    let keys: BTreeSet<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(keys, files.iter().map(|f| f.0).collect(), "kubeadm's keys");
    for (name, file) in files {
        let sealed = STANDARD.decode(data[name].as_str().unwrap()).unwrap();
        let plain = decrypt(&key, &sealed);
        assert_eq!(
            plain,
            std::fs::read(node.pki().join(file)).unwrap(),
            "{name} is {file}"
        );
    }
    let mut wrong = key.clone();
    wrong[0] ^= 1;
    let sealed = STANDARD.decode(data["ca.key"].as_str().unwrap()).unwrap();
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let mut buf = ciphertext.to_vec();
    assert!(
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &wrong).unwrap())
            .open_in_place(
                Nonce::try_assume_unique_for_key(nonce).unwrap(),
                Aad::empty(),
                &mut buf
            )
            .is_err(),
        "another key does not open it"
    );

    // Owned by a short-lived bootstrap token Secret, so it goes when that token expires.
    let owners = secret["metadata"]["ownerReferences"]
        .as_array()
        .expect("owner references");
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(owners[0]["kind"], "Secret");
    assert_eq!(owners[0]["controller"], true);
    let owner_name = owners[0]["name"].as_str().unwrap();
    assert!(owner_name.starts_with("bootstrap-token-"), "{owner_name}");
    let owner = k
        .json(
            &node.admin(),
            &["get", "secret", owner_name, "-n", "kube-system"],
        )
        .expect("the owner token exists");
    assert_eq!(owners[0]["uid"], owner["metadata"]["uid"]);
    let description = String::from_utf8(
        STANDARD
            .decode(owner["data"]["description"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        description,
        "Proxy for managing TTL for the kubeadm-certs secret"
    );
    let expiration = String::from_utf8(
        STANDARD
            .decode(owner["data"]["expiration"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let expires =
        time::OffsetDateTime::parse(&expiration, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(115) && left <= time::Duration::hours(2),
        "expires in {left}"
    );

    let role = k
        .json(
            &node.admin(),
            &["get", "role", "kubeadm:kubeadm-certs", "-n", "kube-system"],
        )
        .expect("Role kubeadm:kubeadm-certs");
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["kubeadm-certs"], "verbs": ["get"]}])
    );
    let binding = k
        .json(
            &node.admin(),
            &[
                "get",
                "rolebinding",
                "kubeadm:kubeadm-certs",
                "-n",
                "kube-system",
            ],
        )
        .expect("RoleBinding kubeadm:kubeadm-certs");
    assert_eq!(
        subjects(&binding),
        BTreeSet::from([format!("Group:{NODE_TOKEN_GROUP}")])
    );
}

fn hex_decode(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The API-call timeout the fault tests use, and the most a failing phase may take past it.
const FAULT_TIMEOUT: Duration = Duration::from_secs(4);
const FAULT_SLACK: Duration = Duration::from_secs(3);

/// `init phase upload-config all` against a broken API server fails in bounded time with
/// one error naming the phase and the endpoint; then init against the real control plane
/// on the same port converges.
fn fails_cleanly_then_converges(fault: Fault) {
    let mut node =
        Node::prepare_with(|c| c.api_call_timeout = format!("{}s", FAULT_TIMEOUT.as_secs()));
    let broken = node.serve_fault(fault);
    let started = Instant::now();
    let out = run_err(
        common::kubeadm()
            .args(["init", "phase", "upload-config", "all", "--rootfs"])
            .arg(node.path())
            .arg("--config")
            .arg(node.config_path()),
    );
    let took = started.elapsed();
    eprintln!(
        "{fault:?}: failed after {took:?}: {}",
        stderr(&out).trim_end()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        took <= FAULT_TIMEOUT + FAULT_SLACK,
        "{fault:?}: failed after {took:?}"
    );
    let err_text = stderr(&out);
    let errors: Vec<&str> = err_text
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect();
    assert_eq!(errors.len(), 1, "one error:\n{}", stderr(&out));
    let error = errors[0];
    assert!(
        error.contains("phase upload-config"),
        "names the phase: {error}"
    );
    assert!(
        error.contains(&format!("127.0.0.1:{}", node.config.ports.api)),
        "names the endpoint: {error}"
    );
    match fault {
        Fault::Refused => assert_eq!(broken.hits(), 0),
        Fault::ServerError => {
            assert!(broken.hits() >= 2, "retried: {} requests", broken.hits());
            assert!(
                error.contains("500"),
                "says what the server answered: {error}"
            );
        }
        Fault::Silent => assert!(broken.hits() >= 1, "connected"),
    }
    drop(broken);

    let _cp = node.start_control_plane();
    let k = Kubectl::new();
    let out = init_ok(&node, &[]);
    let (_, worker) = printed_joins(&out);
    assert_kubeadm_objects(&k, &node, worker.token_id());
}

#[test]
fn an_unreachable_api_fails_in_bounded_time_and_a_rerun_converges() {
    fails_cleanly_then_converges(Fault::Refused);
}

#[test]
fn an_api_answering_500_fails_in_bounded_time_and_a_rerun_converges() {
    fails_cleanly_then_converges(Fault::ServerError);
}

#[test]
fn a_silent_api_fails_in_bounded_time_and_a_rerun_converges() {
    fails_cleanly_then_converges(Fault::Silent);
}

#[test]
fn skipped_prints_withhold_the_token_and_the_certificate_key_everywhere() {
    let (node, _cp, k) = cluster();
    let out = init_ok(
        &node,
        &[
            "--upload-certs",
            "--skip-token-print",
            "--skip-certificate-key-print",
        ],
    );
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.matches("--token <value withheld>").count(),
        2,
        "both join commands withhold the token:\n{text}"
    );
    assert!(
        text.contains("--control-plane --certificate-key <value withheld>"),
        "{text}"
    );
    // Every token secret the cluster now holds (init's and the certs' proxy token) is unprinted.
    let secrets = k
        .json(
            &node.admin(),
            &[
                "get",
                "secrets",
                "-n",
                "kube-system",
                "--field-selector",
                "type=bootstrap.kubernetes.io/token",
            ],
        )
        .unwrap();
    let items = secrets["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "init's token and the kubeadm-certs proxy token"
    );
    for secret in items {
        let value = STANDARD
            .decode(secret["data"]["token-secret"].as_str().unwrap())
            .unwrap();
        let value = String::from_utf8(value).unwrap();
        assert!(
            !printed.contains(&value),
            "a token secret was printed:\n{printed}"
        );
    }
}

#[test]
fn bad_bootstrap_tokens_in_the_config_are_refused_before_anything_changes() {
    let (node, _cp, k) = cluster();
    let before = inventory(&k, &node);
    let files = common::tree(node.path());
    // (bootstrapTokens entry, what the error must name: the field, and the value unless secret)
    let cases = [
        ("- token: abc", "bootstrapTokens[0].token"),
        (
            "- token: abcdef.0123456789abcdef\n  usages: [signing, foo]",
            "foo",
        ),
        ("- token: abcdef.0123456789abcdef\n  ttl: 5x", "5x"),
        (
            "- token: abcdef.0123456789abcdef\n  groups: [wrong]",
            "wrong",
        ),
    ];
    for (tokens, names) in cases {
        let config = node.path().join("bad-tokens.yaml");
        let text = node.config.yaml().replacen(
            "timeouts:",
            &format!("bootstrapTokens:\n{tokens}\ntimeouts:"),
            1,
        );
        std::fs::write(&config, text).unwrap();
        let out = run_err(
            common::kubeadm()
                .args(["init", "--ignore-preflight-errors=all", "--rootfs"])
                .arg(node.path())
                .arg("--config")
                .arg(&config),
        );
        assert_eq!(out.status.code(), Some(1), "{tokens}: {}", stderr(&out));
        let err = stderr(&out);
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{tokens}: one error:\n{err}");
        assert!(
            errors[0].contains(names) && errors[0].contains("bootstrapTokens"),
            "{tokens}: the error names the field and value: {}",
            errors[0]
        );
        std::fs::remove_file(&config).unwrap();
        assert_eq!(
            common::tree(node.path()),
            files,
            "{tokens}: no file written"
        );
    }
    assert_eq!(inventory(&k, &node), before, "no object created");
}

/// `init phase <args>` into the node's root with its config file.
fn phase(node: &Node, args: &[&str]) -> Output {
    common::kubeadm()
        .args(["init", "phase"])
        .args(args)
        .arg("--rootfs")
        .arg(node.path())
        .arg("--config")
        .arg(node.config_path())
        .output()
        .expect("kubeadm-rs runs")
}

#[test]
fn wait_control_plane_names_what_is_not_healthy_within_its_timeouts() {
    let mut node = Node::prepare();
    // Short health timeouts, so the failures come quickly.
    let config = std::fs::read_to_string(node.config_path())
        .unwrap()
        .replace(
            "controlPlaneComponentHealthCheck: 30s",
            "controlPlaneComponentHealthCheck: 2s",
        )
        .replace("kubeletHealthCheck: 30s", "kubeletHealthCheck: 2s");
    std::fs::write(node.config_path(), config).unwrap();
    let out = phase(&node, &["control-plane", "all"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Nothing answers on the kubelet's healthz port yet.
    let started = Instant::now();
    let out = phase(&node, &["wait-control-plane"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = stderr(&out);
    let kubelet_url = format!(
        "http://127.0.0.1:{}/healthz",
        node.config.ports.kubelet_healthz
    );
    assert!(
        log.contains(&format!(
            "[kubelet-check] Waiting for a healthy kubelet at {kubelet_url}. This can take up to 2s"
        )),
        "{log}"
    );
    assert!(
        log.contains("error: phase wait-control-plane: the kubelet is not healthy after 2s"),
        "{log}"
    );
    assert!(
        log.contains("'journalctl -xeu kubelet'"),
        "troubleshooting: {log}"
    );
    assert!(took < Duration::from_secs(8), "bounded: {took:?}");

    // With the control plane and its doubles up, every component is polled where its
    // manifest says it serves, and found healthy.
    let _cp = node.start_control_plane();
    let out = phase(&node, &["wait-control-plane"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    for (name, url) in [
        (
            "kube-apiserver",
            format!("https://127.0.0.1:{}/livez", node.config.ports.api),
        ),
        (
            "kube-controller-manager",
            format!(
                "https://127.0.0.1:{}/healthz",
                node.config.ports.controller_manager
            ),
        ),
        (
            "kube-scheduler",
            format!("https://127.0.0.1:{}/livez", node.config.ports.scheduler),
        ),
    ] {
        assert!(
            log.contains(&format!("[control-plane-check] Checking {name} at {url}")),
            "{log}"
        );
        assert!(
            log.contains(&format!("[control-plane-check] {name} is healthy after")),
            "{log}"
        );
    }
}

#[test]
fn an_addon_plugin_is_applied_with_server_side_apply_and_reapplied_on_rerun() {
    let plugins = std::path::PathBuf::from(env!("KUBEADM_RS_PLUGIN_DIR"));
    let flannel = plugins.join("flannel.wasm");
    let pin = stdout(&run_ok(tool("sha256sum").arg(&flannel)))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let mut node = Node::prepare_with(|c| {
        c.cluster_extra = "networking:\n  podSubnet: 10.244.0.0/16\n".into();
    });
    let plugin_doc = format!(
        "---\napiVersion: kubeadm-rs.io/v1alpha1\nkind: PluginConfiguration\npluginDir: {}\nplugins:\n\
         - name: flannel\n  source: {{name: flannel}}\n  sha256: {pin}\n  grants:\n    clusterApply:\n\
         \x20   - {{kind: Namespace}}\n    - {{kind: ServiceAccount, namespaces: [kube-flannel]}}\n\
         \x20   - {{kind: ClusterRole}}\n    - {{kind: ClusterRoleBinding}}\n\
         \x20   - {{kind: ConfigMap, namespaces: [kube-flannel]}}\n\
         \x20   - {{kind: DaemonSet, namespaces: [kube-flannel]}}\n  parameters: {{backend: vxlan}}\n",
        plugins.display()
    );
    let mut config = std::fs::read_to_string(node.config_path()).unwrap();
    config.push_str(&plugin_doc);
    std::fs::write(node.config_path(), config).unwrap();
    let _cp = node.start_control_plane();
    let k = Kubectl::new();

    for run in 0..2 {
        let out = init_ok(&node, &[]);
        let log = stderr(&out);
        assert!(
            log.contains("[addons] Applied addon: flannel"),
            "run {run}: {log}"
        );
        let ds = k
            .json(
                &node.admin(),
                &[
                    "get",
                    "daemonset",
                    "-n",
                    "kube-flannel",
                    "kube-flannel-ds",
                    "-o",
                    "json",
                ],
            )
            .unwrap();
        assert_eq!(ds["kind"], "DaemonSet");
        let cm = k
            .json(
                &node.admin(),
                &[
                    "get",
                    "configmap",
                    "-n",
                    "kube-flannel",
                    "kube-flannel-cfg",
                    "-o",
                    "json",
                ],
            )
            .unwrap();
        let net_conf = cm["data"]["net-conf.json"].as_str().unwrap();
        assert!(
            net_conf.contains("10.244.0.0/16") && net_conf.contains("vxlan"),
            "{net_conf}"
        );
        k.json(&node.admin(), &["get", "namespace", "kube-flannel"])
            .unwrap();
    }
}

#[test]
fn a_corefile_changed_by_the_user_is_retained_when_the_addon_runs_again() {
    let (node, _cp, k) = cluster();
    init_ok(&node, &[]);
    let custom = ".:53 {\n    errors\n    forward . 9.9.9.9\n}\n";
    let patch = serde_json::json!({"data": {"Corefile": custom}}).to_string();
    run_ok(&mut k.cmd(
        &node.admin(),
        &[
            "patch",
            "configmap",
            "coredns",
            "-n",
            "kube-system",
            "--type",
            "merge",
            "-p",
            &patch,
        ],
    ));

    let out = phase(&node, &["addon", "coredns"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was changed by a user; it is retained"),
        "{}",
        stderr(&out)
    );
    let cm = k
        .json(
            &node.admin(),
            &[
                "get",
                "configmap",
                "coredns",
                "-n",
                "kube-system",
                "-o",
                "json",
            ],
        )
        .unwrap();
    assert_eq!(cm["data"]["Corefile"], custom);
}

#[test]
fn disabled_addons_and_no_taints_leave_nothing_behind() {
    let mut node = Node::prepare_with(|c| {
        c.cluster_extra = "dns:\n  disabled: true\nproxy:\n  disabled: true\n".into();
    });
    // An empty taint list means no taints at all, as kubeadm reads it.
    let config = std::fs::read_to_string(node.config_path())
        .unwrap()
        .replace("  name: node-a\n", "  name: node-a\n  taints: []\n");
    std::fs::write(node.config_path(), config).unwrap();
    let _cp = node.start_control_plane();
    let k = Kubectl::new();
    let out = init_ok(&node, &[]);
    let log = stderr(&out);
    assert!(log.contains("Not installing the CoreDNS addon"), "{log}");
    assert!(log.contains("Not installing the kube-proxy addon"), "{log}");
    for (kind, name) in [
        ("deployment", "coredns"),
        ("configmap", "coredns"),
        ("service", "kube-dns"),
        ("daemonset", "kube-proxy"),
        ("configmap", "kube-proxy"),
    ] {
        let out = k
            .cmd(&node.admin(), &["get", kind, name, "-n", "kube-system"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{kind}/{name} exists");
        assert!(
            stderr(&out).contains("NotFound") || stderr(&out).contains("not found"),
            "{}",
            stderr(&out)
        );
    }
    let node_object = k.json(&node.admin(), &["get", "node", "node-a"]).unwrap();
    assert!(
        node_object["spec"]["taints"]
            .as_array()
            .is_none_or(|t| t.is_empty()),
        "{node_object}"
    );
    assert_eq!(
        node_object["metadata"]["labels"]["node-role.kubernetes.io/control-plane"],
        ""
    );
}
