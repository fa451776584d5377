//! The kubeconfig document (`kind: Config`, `apiVersion: v1`): what kubeadm writes, written the
//! way client-go's `clientcmd.Write` lays it out, and read back for the fields kubeadm uses.

use std::fmt;
use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer};

/// A kubeconfig: clusters, users and the contexts that pair them.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Kubeconfig {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub clusters: Vec<NamedCluster>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub contexts: Vec<NamedContext>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub users: Vec<NamedUser>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub current_context: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NamedCluster {
    pub name: String,
    pub cluster: Cluster,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Cluster {
    #[serde(default)]
    pub server: String,
    /// The CA bundle (PEM), decoded from base64.
    #[serde(default, deserialize_with = "base64_bytes")]
    pub certificate_authority_data: Option<Vec<u8>>,
    /// A CA file path, used when no CA data is embedded.
    #[serde(default)]
    pub certificate_authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NamedContext {
    pub name: String,
    pub context: Context,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub user: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NamedUser {
    pub name: String,
    pub user: User,
}

/// Credentials; `Debug` shows which are present, never their values.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct User {
    /// A client certificate file (the kubelet's rotated one), used instead of embedded data.
    #[serde(default)]
    pub client_certificate: Option<String>,
    #[serde(default, deserialize_with = "base64_bytes")]
    pub client_certificate_data: Option<Vec<u8>>,
    #[serde(default)]
    pub client_key: Option<String>,
    #[serde(default, deserialize_with = "base64_bytes")]
    pub client_key_data: Option<Vec<u8>>,
    #[serde(default)]
    pub token: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field(
                "client_certificate_data",
                &self.client_certificate_data.is_some(),
            )
            .field("client_key_data", &self.client_key_data.is_some())
            .field("token", &self.token.is_some())
            .finish()
    }
}

/// clientcmd writes empty lists as `null` (cluster-info does): read them as empty.
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn base64_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| STANDARD.decode(t.trim()).map_err(serde::de::Error::custom))
        .transpose()
}

impl Kubeconfig {
    /// kubeadm's kubeconfig for a client certificate: one cluster, one user, one context
    /// `<user>@<cluster>`, which is current.
    pub fn with_client_certificate(
        cluster_name: &str,
        server: &str,
        ca_pem: &[u8],
        user_name: &str,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Self {
        let context = format!("{user_name}@{cluster_name}");
        Kubeconfig {
            clusters: vec![NamedCluster {
                name: cluster_name.to_string(),
                cluster: Cluster {
                    server: server.to_string(),
                    certificate_authority_data: Some(ca_pem.to_vec()),
                    certificate_authority: None,
                },
            }],
            contexts: vec![NamedContext {
                name: context.clone(),
                context: Context {
                    cluster: cluster_name.to_string(),
                    user: user_name.to_string(),
                },
            }],
            users: vec![NamedUser {
                name: user_name.to_string(),
                user: User {
                    client_certificate_data: Some(cert_pem.to_vec()),
                    client_key_data: Some(key_pem.to_vec()),
                    ..User::default()
                },
            }],
            current_context: context,
        }
    }

    /// Reads a kubeconfig; fields kubeadm does not use are ignored. Text that is not a YAML
    /// mapping with at least one kubeconfig field is refused as no kubeconfig at all, rather
    /// than read as an empty one.
    pub fn parse(text: &str) -> Result<Self, String> {
        const FIELDS: [&str; 6] = [
            "apiVersion",
            "kind",
            "clusters",
            "contexts",
            "users",
            "current-context",
        ];
        let not_a_kubeconfig = || {
            "it is not a kubeconfig (expected YAML with kind: Config, clusters, contexts, users and current-context)".to_string()
        };
        let value: serde_json::Value =
            serde_saphyr::from_str(text).map_err(|_| not_a_kubeconfig())?;
        let looks_like_one = value
            .as_object()
            .is_some_and(|map| FIELDS.iter().any(|f| map.contains_key(*f)));
        if !looks_like_one {
            return Err(not_a_kubeconfig());
        }
        serde_saphyr::from_str(text)
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())
    }

    pub fn context(&self, name: &str) -> Option<&Context> {
        self.contexts
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.context)
    }

    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.cluster)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name).map(|u| &u.user)
    }

    /// The cluster of the current context.
    pub fn current_cluster(&self) -> Option<&Cluster> {
        self.cluster(&self.context(&self.current_context)?.cluster)
    }

    /// The user of the current context.
    pub fn current_user(&self) -> Option<&User> {
        self.user(&self.context(&self.current_context)?.user)
    }

    /// YAML as `clientcmd.Write` produces it: keys sorted, data fields base64.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from("apiVersion: v1\nclusters:\n");
        for c in &self.clusters {
            out.push_str("- cluster:\n");
            if let Some(ca) = &c.cluster.certificate_authority {
                field(&mut out, "    ", "certificate-authority", ca);
            }
            if let Some(data) = &c.cluster.certificate_authority_data {
                field(
                    &mut out,
                    "    ",
                    "certificate-authority-data",
                    &STANDARD.encode(data),
                );
            }
            field(&mut out, "    ", "server", &c.cluster.server);
            field(&mut out, "  ", "name", &c.name);
        }
        out.push_str("contexts:\n");
        for c in &self.contexts {
            out.push_str("- context:\n");
            field(&mut out, "    ", "cluster", &c.context.cluster);
            field(&mut out, "    ", "user", &c.context.user);
            field(&mut out, "  ", "name", &c.name);
        }
        field(&mut out, "", "current-context", &self.current_context);
        out.push_str("kind: Config\npreferences: {}\nusers:\n");
        for u in &self.users {
            field(&mut out, "- ", "name", &u.name);
            out.push_str("  user:\n");
            if let Some(path) = &u.user.client_certificate {
                field(&mut out, "    ", "client-certificate", path);
            }
            if let Some(data) = &u.user.client_certificate_data {
                field(
                    &mut out,
                    "    ",
                    "client-certificate-data",
                    &STANDARD.encode(data),
                );
            }
            if let Some(path) = &u.user.client_key {
                field(&mut out, "    ", "client-key", path);
            }
            if let Some(data) = &u.user.client_key_data {
                field(&mut out, "    ", "client-key-data", &STANDARD.encode(data));
            }
            if let Some(token) = &u.user.token {
                field(&mut out, "    ", "token", token);
            }
        }
        out
    }
}

fn field(out: &mut String, indent: &str, key: &str, value: &str) {
    let _ = writeln!(out, "{indent}{key}: {}", scalar(value));
}

/// A YAML scalar: plain when that reads back as the same string, else double-quoted.
fn scalar(s: &str) -> String {
    let special_start = s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c));
    let ambiguous = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) || s.parse::<f64>().is_ok();
    let plain = !s.is_empty()
        && !special_start
        && !ambiguous
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && s.chars().all(|c| !c.is_control());
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Kubeconfig {
        Kubeconfig::with_client_certificate(
            "kubernetes",
            "https://192.168.1.10:6443",
            b"CA PEM\n",
            "kubernetes-admin",
            b"CERT PEM\n",
            b"KEY PEM\n",
        )
    }

    #[test]
    fn written_as_clientcmd_writes_it() {
        let expected = "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EgUEVNCg==
    server: https://192.168.1.10:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVCBQRU0K
    client-key-data: S0VZIFBFTQo=
";
        assert_eq!(admin().to_yaml(), expected);
    }

    #[test]
    fn reads_back_what_it_writes() {
        let config = admin();
        let back = Kubeconfig::parse(&config.to_yaml()).unwrap();
        assert_eq!(back, config);
        assert_eq!(
            back.current_cluster().unwrap().server,
            "https://192.168.1.10:6443"
        );
        assert_eq!(
            back.current_user().unwrap().client_key_data.as_deref(),
            Some(&b"KEY PEM\n"[..])
        );
    }

    #[test]
    fn reads_kubectl_style_files_and_ignores_other_fields() {
        let text = r#"
apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: other
  cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}
- name: kubernetes
  cluster:
    server: https://[fd00::1]:6443
    certificate-authority: /etc/kubernetes/pki/ca.crt
    extensions: []
contexts:
- name: ctx
  context: {cluster: kubernetes, user: u, namespace: kube-system}
current-context: ctx
users:
- name: u
  user: {token: abcdef.0123456789abcdef}
"#;
        let config = Kubeconfig::parse(text).unwrap();
        let cluster = config.current_cluster().unwrap();
        assert_eq!(cluster.server, "https://[fd00::1]:6443");
        assert_eq!(
            cluster.certificate_authority.as_deref(),
            Some("/etc/kubernetes/pki/ca.crt")
        );
        assert_eq!(
            config.current_user().unwrap().token.as_deref(),
            Some("abcdef.0123456789abcdef")
        );
    }

    #[test]
    fn bad_base64_is_an_error() {
        let text = "clusters:\n- name: k\n  cluster:\n    server: https://a:1\n    certificate-authority-data: '%%%'\n";
        assert!(Kubeconfig::parse(text).is_err());
    }

    #[test]
    fn names_that_yaml_would_misread_are_quoted() {
        let cases = [
            ("system:node:node-a", "system:node:node-a"),
            ("kubernetes-admin@kubernetes", "kubernetes-admin@kubernetes"),
            ("true", "\"true\""),
            ("1.5", "\"1.5\""),
            ("@home", "\"@home\""),
            ("a: b", "\"a: b\""),
            ("", "\"\""),
        ];
        for (input, written) in cases {
            assert_eq!(scalar(input), written, "{input}");
        }
    }

    #[test]
    fn debug_hides_credentials() {
        let shown = format!("{:?}", admin());
        assert!(
            !shown.contains("KEY PEM") && !shown.contains("75, 69, 89"),
            "{shown}"
        );
    }
}
