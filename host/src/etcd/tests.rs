use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::client::{client_url_for_peer, url_host};
use super::*;
use crate::config::{InitConfig, default_cluster_configuration, default_init_configuration};
use crate::events::Events;
use crate::manifests::{ETCD_CLIENT_URLS_ANNOTATION, EtcdMember, etcd_pod};
use crate::node::NodeRoot;

fn member(id: u64, name: &str, peer: &str, client: &str, is_learner: bool) -> Member {
    Member {
        id,
        name: name.into(),
        peer_urls: vec![peer.into()],
        client_urls: if client.is_empty() {
            vec![]
        } else {
            vec![client.into()]
        },
        is_learner,
    }
}

fn etcd_member(name: &str, peer_url: &str) -> EtcdMember {
    EtcdMember {
        name: name.into(),
        peer_url: peer_url.into(),
    }
}

/// A mirror Pod with the given annotations.
fn pod(name: &str, annotations: &[(&str, &str)]) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn node_config(name: &str, advertise: &str) -> InitConfig {
    let mut init = default_init_configuration();
    init.local_api_endpoint.advertise_address = advertise.into();
    init.node_registration.name = name.into();
    InitConfig {
        init,
        cluster: default_cluster_configuration(),
        kubelet: None,
        kube_proxy: None,
        plugins: None,
    }
}

#[test]
fn initial_cluster_names_the_joining_member_and_unstarted_ones_by_hex_id() {
    let members = [
        member(
            0x8e9e05c52164694d,
            "cp-1",
            "https://10.0.0.1:2380",
            "https://10.0.0.1:2379",
            false,
        ),
        // Another node's learner that has not started yet has no name.
        member(0x2a, "", "https://10.0.0.3:2380", "", true),
        member(0x91bc3c398fb3c146, "", "https://10.0.0.2:2380", "", true),
    ];
    assert_eq!(
        initial_cluster(&members, "cp-2", "https://10.0.0.2:2380"),
        [
            etcd_member("cp-1", "https://10.0.0.1:2380"),
            etcd_member("2a", "https://10.0.0.3:2380"),
            etcd_member("cp-2", "https://10.0.0.2:2380"),
        ]
    );
}

#[test]
fn initial_cluster_renders_into_the_join_manifest() {
    let members = [
        member(
            1,
            "cp-1",
            "https://10.0.0.1:2380",
            "https://10.0.0.1:2379",
            false,
        ),
        member(2, "", "https://10.0.0.2:2380", "", true),
    ];
    let cluster = initial_cluster(&members, "cp-2", "https://10.0.0.2:2380");
    let pod = etcd_pod(&node_config("cp-2", "10.0.0.2"), &cluster).unwrap();
    let command = pod.spec.unwrap().containers[0].command.clone().unwrap();
    assert!(
        command.contains(
            &"--initial-cluster=cp-1=https://10.0.0.1:2380,cp-2=https://10.0.0.2:2380".into()
        ),
        "{command:?}"
    );
    assert!(command.contains(&"--initial-cluster-state=existing".into()));
}

#[test]
fn requests_go_to_started_voting_members_only() {
    let members = [
        member(
            1,
            "cp-1",
            "https://10.0.0.1:2380",
            "https://10.0.0.1:2379",
            false,
        ),
        member(
            2,
            "cp-2",
            "https://10.0.0.2:2380",
            "https://10.0.0.2:2379",
            true,
        ),
        member(3, "", "https://10.0.0.3:2380", "", false),
        member(
            4,
            "cp-4",
            "https://10.0.0.4:2380",
            "https://10.0.0.4:2379",
            false,
        ),
    ];
    assert_eq!(
        voting_client_urls(&members),
        ["https://10.0.0.1:2379", "https://10.0.0.4:2379"]
    );
}

#[test]
fn endpoints_come_from_the_etcd_pod_annotation_in_pod_order() {
    let pods = [
        pod(
            "etcd-cp-1",
            &[(ETCD_CLIENT_URLS_ANNOTATION, "https://10.0.0.1:2379")],
        ),
        // A Pod without the annotation (from an old kubeadm) is skipped.
        pod("etcd-cp-2", &[("other", "x")]),
        pod(
            "etcd-cp-3",
            &[(ETCD_CLIENT_URLS_ANNOTATION, "https://[fd00::3]:2379")],
        ),
    ];
    assert_eq!(
        endpoints_from_pods(&pods).unwrap(),
        ["https://10.0.0.1:2379", "https://[fd00::3]:2379"]
    );
}

#[test]
fn etcd_pods_without_the_annotation_are_an_error_and_so_is_no_pod() {
    let err = endpoints_from_pods(&[pod("etcd-cp-1", &[])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not retrieve the list of etcd endpoints: etcd Pods exist, but none has the \
         kubeadm.kubernetes.io/etcd.advertise-client-urls annotation"
    );
    let err = endpoints_from_pods(&[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not retrieve the list of etcd endpoints: no Pods labelled \
         component=etcd,tier=control-plane in kube-system"
    );
}

#[test]
fn the_reader_finds_what_the_etcd_manifest_writes() {
    let written = etcd_pod(&node_config("cp-1", "10.0.0.1"), &[]).unwrap();
    let labels = written.metadata.labels.clone().unwrap();
    let selector: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(selector.join(","), ETCD_POD_SELECTOR);
    assert_eq!(
        endpoints_from_pods(&[written]).unwrap(),
        ["https://10.0.0.1:2379"]
    );
}

#[test]
fn urls_name_their_host() {
    assert_eq!(url_host("https://10.0.0.1:2380"), Some("10.0.0.1"));
    assert_eq!(url_host("https://[fd00::1]:2380"), Some("[fd00::1]"));
    assert_eq!(url_host("https://node-1"), Some("node-1"));
    assert_eq!(url_host("http://10.0.0.1:2380"), None);
    assert_eq!(url_host("https://:2380"), None);
    assert_eq!(url_host("https://[]:2380"), None);
    assert_eq!(
        client_url_for_peer("https://[fd00::1]:2380"),
        "https://[fd00::1]:2379"
    );
}

/// A self-signed certificate and its key, PEM: enough for the client to try TLS.
fn self_signed() -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

fn credentials() -> EtcdCredentials {
    let (cert, key) = self_signed();
    EtcdCredentials::from_pem(cert.as_bytes(), cert.as_bytes(), key.as_bytes(), "test").unwrap()
}

#[test]
fn credentials_of_the_wrong_kind_are_refused_before_any_dial() {
    let (cert, key) = self_signed();
    let err = EtcdCredentials::from_pem(cert.as_bytes(), key.as_bytes(), key.as_bytes(), "test")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "etcd client credentials: test certificate: expected a PEM CERTIFICATE"
    );
    let err =
        EtcdCredentials::from_pem(cert.as_bytes(), cert.as_bytes(), b"junk", "test").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("etcd client credentials: test key: "),
        "{err}"
    );
}

#[test]
fn credentials_are_read_from_the_node_cert_dir() {
    let root = NodeRoot::temporary("kubeadm-rs-etcd-", Events::discard()).unwrap();
    let err = EtcdCredentials::healthcheck_client(&root, "/etc/kubernetes/pki/").unwrap_err();
    assert_eq!(
        err.to_string(),
        "etcd client credentials: /etc/kubernetes/pki/etcd/ca.crt: no such file"
    );
    let (cert, key) = self_signed();
    let dir = root.host_path().join("etc/kubernetes/pki/etcd");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.crt"), &cert).unwrap();
    std::fs::write(dir.join("healthcheck-client.crt"), &cert).unwrap();
    let err = EtcdCredentials::healthcheck_client(&root, "/etc/kubernetes/pki").unwrap_err();
    assert_eq!(
        err.to_string(),
        "etcd client credentials: /etc/kubernetes/pki/etcd/healthcheck-client.key: no such file"
    );
    std::fs::write(dir.join("healthcheck-client.key"), &key).unwrap();
    EtcdCredentials::healthcheck_client(&root, "/etc/kubernetes/pki").unwrap();
    let err = EtcdCredentials::apiserver_etcd_client(&root, "/etc/kubernetes/pki").unwrap_err();
    assert_eq!(
        err.to_string(),
        "etcd client credentials: /etc/kubernetes/pki/apiserver-etcd-client.crt: no such file"
    );
}

#[test]
fn endpoints_must_be_https_urls() {
    let err = EtcdClient::new(vec![], credentials(), Timeouts::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not retrieve the list of etcd endpoints: no endpoints given"
    );
    let err = EtcdClient::new(
        vec!["https://10.0.0.1:2379".into(), "10.0.0.2:2379".into()],
        credentials(),
        Timeouts::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "etcd endpoint \"10.0.0.2:2379\" is not valid: expected https://<host>:<port>"
    );
    let client = EtcdClient::new(
        vec!["https://127.0.0.1:2379".into()],
        credentials(),
        Timeouts::default(),
    )
    .unwrap();
    let err = client.add_learner("cp-2", "10.0.0.2:2380").unwrap_err();
    assert_eq!(
        err.to_string(),
        "etcd peer URL \"10.0.0.2:2380\" is not valid: expected https://<host>:<port>"
    );
}

#[test]
fn a_call_to_an_endpoint_that_does_not_answer_ends_within_the_operation_timeout() {
    // A listener that accepts connections and never speaks TLS: the worst case, a hang.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("https://{}", silent.local_addr().unwrap());
    let timeouts = Timeouts {
        request: Duration::from_millis(300),
        operation: Duration::from_millis(1200),
        retry_interval: Duration::from_millis(100),
        settle_interval: Duration::from_millis(100),
    };
    let client = EtcdClient::new(vec![endpoint.clone()], credentials(), timeouts).unwrap();
    let started = Instant::now();
    let err = client.members().unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&err, EtcdError::TimedOut { operation, endpoints, .. }
            if operation == "listing members" && *endpoints == endpoint),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("no success within 1.2s; last error: no answer within"),
        "{err}"
    );
    // The bound holds with a request's worth of slack, however loaded the machine is.
    assert!(took < Duration::from_millis(1200 + 300 + 1000), "{took:?}");
}

#[test]
fn only_etcds_not_ready_yet_answers_are_asked_again_soon() {
    use super::client::is_not_ready_yet;
    use tonic::{Code, Status};
    let answer = |code, message: &str| etcd_client::Error::from(Status::new(code, message));
    let soon = [
        answer(
            Code::FailedPrecondition,
            "etcdserver: can only promote a learner member which is in sync with leader",
        ),
        answer(Code::Unavailable, "etcdserver: unhealthy cluster"),
    ];
    for e in &soon {
        assert!(is_not_ready_yet(e), "{e}");
    }
    let later = [
        answer(Code::Unavailable, "etcdserver: leader changed"),
        answer(Code::Unavailable, ""),
        answer(
            Code::FailedPrecondition,
            "etcdserver: Peer URLs already exists",
        ),
        answer(Code::DeadlineExceeded, "etcdserver: unhealthy cluster"),
        etcd_client::Error::InvalidArgs("no endpoints".into()),
    ];
    for e in &later {
        assert!(!is_not_ready_yet(e), "{e}");
    }
}
