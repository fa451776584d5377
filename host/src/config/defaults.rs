//! Upstream defaults (`SetDefaults_*`) and the dynamic ones kubeadm fills in at run time
//! (node name, advertise address, bootstrap token, Kubernetes version).

use super::constants::*;
use super::duration::GoDuration;
use super::v1beta4::*;

/// Facts about the host that dynamic defaults come from; tests substitute their own.
pub trait HostFacts {
    /// The node name kubeadm would pick: the host name, lower-cased.
    fn hostname(&self) -> Result<String, String>;
    /// The IP of the interface holding the default route.
    fn default_address(&self) -> Result<String, String>;
    /// A fresh bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}`.
    fn new_token(&self) -> String;
    /// A global unicast address on the loopback interface, which kubeadm uses when told to
    /// advertise a loopback address (for hosts whose interfaces carry only link-local addresses).
    /// `None` when there is none; then a loopback advertise address is an error, as in kubeadm.
    fn loopback_global_address(&self) -> Result<Option<String>, String> {
        Ok(None)
    }
}

fn default_timeouts() -> Timeouts {
    Timeouts {
        control_plane_component_health_check: Some(GoDuration::from_secs(240)),
        kubelet_health_check: Some(GoDuration::from_secs(240)),
        kubernetes_api_call: Some(GoDuration::from_secs(60)),
        etcd_api_call: Some(GoDuration::from_secs(120)),
        tls_bootstrap: Some(GoDuration::from_secs(300)),
        discovery: Some(GoDuration::from_secs(300)),
        upgrade_manifests: Some(GoDuration::from_secs(300)),
    }
}

/// Fills unset timeouts with upstream's values.
pub(crate) fn set_timeout_defaults(t: &mut Option<Timeouts>) {
    let d = default_timeouts();
    let t = t.get_or_insert_with(Timeouts::default);
    t.control_plane_component_health_check = t
        .control_plane_component_health_check
        .or(d.control_plane_component_health_check);
    t.kubelet_health_check = t.kubelet_health_check.or(d.kubelet_health_check);
    t.kubernetes_api_call = t.kubernetes_api_call.or(d.kubernetes_api_call);
    t.etcd_api_call = t.etcd_api_call.or(d.etcd_api_call);
    t.tls_bootstrap = t.tls_bootstrap.or(d.tls_bootstrap);
    t.discovery = t.discovery.or(d.discovery);
    t.upgrade_manifests = t.upgrade_manifests.or(d.upgrade_manifests);
}

fn set_if_empty(field: &mut String, value: &str) {
    if field.is_empty() {
        *field = value.to_string();
    }
}

pub(crate) fn set_node_registration_defaults(n: &mut NodeRegistrationOptions) {
    set_if_empty(&mut n.image_pull_policy, "IfNotPresent");
    if n.image_pull_serial.is_none() {
        n.image_pull_serial = Some(true);
    }
}

pub(crate) fn set_token_defaults(t: &mut BootstrapToken) {
    if t.ttl.is_none() && t.expires.is_none() {
        t.ttl = Some(GoDuration::hours(24));
    }
    if t.usages.is_empty() {
        t.usages = vec!["signing".into(), "authentication".into()];
    }
    if t.groups.is_empty() {
        t.groups = vec![DEFAULT_TOKEN_GROUP.into()];
    }
}

pub(crate) fn set_init_defaults(c: &mut InitConfiguration) {
    c.api_version = GROUP_VERSION.into();
    c.kind = "InitConfiguration".into();
    if c.bootstrap_tokens.is_empty() {
        c.bootstrap_tokens.push(BootstrapToken::default());
    }
    c.bootstrap_tokens.iter_mut().for_each(set_token_defaults);
    if c.local_api_endpoint.bind_port == 0 {
        c.local_api_endpoint.bind_port = DEFAULT_BIND_PORT;
    }
    set_node_registration_defaults(&mut c.node_registration);
    set_timeout_defaults(&mut c.timeouts);
}

pub(crate) fn set_cluster_defaults(c: &mut ClusterConfiguration) {
    c.api_version = GROUP_VERSION.into();
    c.kind = "ClusterConfiguration".into();
    set_if_empty(&mut c.kubernetes_version, "stable-1");
    set_if_empty(&mut c.networking.service_subnet, DEFAULT_SERVICE_SUBNET);
    set_if_empty(&mut c.networking.dns_domain, DEFAULT_DNS_DOMAIN);
    set_if_empty(&mut c.certificates_dir, DEFAULT_CERTIFICATES_DIR);
    set_if_empty(&mut c.image_repository, DEFAULT_IMAGE_REPOSITORY);
    set_if_empty(&mut c.cluster_name, DEFAULT_CLUSTER_NAME);
    set_if_empty(&mut c.encryption_algorithm, DEFAULT_ENCRYPTION_ALGORITHM);
    if c.etcd.local.is_none() && c.etcd.external.is_none() {
        c.etcd.local = Some(LocalEtcd::default());
    }
    if let Some(local) = &mut c.etcd.local {
        set_if_empty(&mut local.data_dir, DEFAULT_ETCD_DATA_DIR);
    }
    if c.certificate_validity_period.is_none() {
        c.certificate_validity_period = Some(GoDuration::hours(8760));
    }
    if c.ca_certificate_validity_period.is_none() {
        c.ca_certificate_validity_period = Some(GoDuration::hours(87600));
    }
}

pub(crate) fn set_join_defaults(c: &mut JoinConfiguration) {
    c.api_version = GROUP_VERSION.into();
    c.kind = "JoinConfiguration".into();
    set_if_empty(&mut c.ca_cert_path, DEFAULT_CA_CERT_PATH);
    set_node_registration_defaults(&mut c.node_registration);
    if let Some(bt) = &c.discovery.bootstrap_token
        && c.discovery.tls_bootstrap_token.is_empty()
    {
        c.discovery.tls_bootstrap_token = bt.token.clone();
    }
    if let Some(file) = &mut c.discovery.file
        && let Some(path) = file.kube_config_path.strip_prefix("file://")
    {
        file.kube_config_path = path.to_string();
    }
    if let Some(cp) = &mut c.control_plane
        && cp.local_api_endpoint.bind_port == 0
    {
        cp.local_api_endpoint.bind_port = DEFAULT_BIND_PORT;
    }
    set_timeout_defaults(&mut c.timeouts);
}

/// What `config print init-defaults` shows: upstream defaults with kubeadm's placeholders.
pub fn default_init_configuration() -> InitConfiguration {
    let mut c = InitConfiguration {
        bootstrap_tokens: vec![BootstrapToken {
            token: PLACEHOLDER_TOKEN.into(),
            ..Default::default()
        }],
        local_api_endpoint: ApiEndpoint {
            advertise_address: PLACEHOLDER_ADVERTISE_ADDRESS.into(),
            bind_port: DEFAULT_BIND_PORT,
        },
        node_registration: NodeRegistrationOptions {
            name: PLACEHOLDER_NODE_NAME.into(),
            cri_socket: DEFAULT_CRI_SOCKET.into(),
            taints: None,
            ..Default::default()
        },
        ..Default::default()
    };
    set_init_defaults(&mut c);
    c
}

pub fn default_cluster_configuration() -> ClusterConfiguration {
    let mut c = ClusterConfiguration {
        kubernetes_version: KUBERNETES_VERSION.into(),
        ..Default::default()
    };
    set_cluster_defaults(&mut c);
    c
}

/// What `config print join-defaults` shows.
pub fn default_join_configuration() -> JoinConfiguration {
    let mut c = JoinConfiguration {
        node_registration: NodeRegistrationOptions {
            name: PLACEHOLDER_NODE_NAME.into(),
            cri_socket: DEFAULT_CRI_SOCKET.into(),
            taints: None,
            ..Default::default()
        },
        discovery: Discovery {
            bootstrap_token: Some(BootstrapTokenDiscovery {
                token: PLACEHOLDER_TOKEN.into(),
                api_server_endpoint: "kube-apiserver:6443".into(),
                unsafe_skip_ca_verification: true,
                ..Default::default()
            }),
            tls_bootstrap_token: PLACEHOLDER_TOKEN.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    set_join_defaults(&mut c);
    c
}
