//! Reading multi-document config files: split, identify each document's kind, decode strictly.

mod yaml_error;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::duration::GoDuration;
use super::{
    ComponentConfig, ConfigError, KUBE_PROXY_CONFIG_GROUP_VERSION, KUBELET_CONFIG_GROUP_VERSION,
    component_fields, plugins, v1beta3, v1beta4,
};

/// One YAML document of a config file, with the kind it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// 1-based position in the file, for error messages.
    pub index: usize,
    /// The file line the document's text starts on, so errors point into the file.
    pub line: usize,
    pub api_version: String,
    pub kind: String,
    pub text: String,
}

/// The documents of one config file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Documents {
    pub source: String,
    pub docs: Vec<Document>,
}

#[derive(Deserialize)]
struct TypeMeta {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// Splits on `---` lines, as Kubernetes' YAML reader does; empty documents are dropped.
/// Each document comes with the file line its text starts on.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (n, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") || line.starts_with("---\t") {
            docs.push((n + 2, String::new()));
        } else {
            let current = &mut docs.last_mut().expect("at least one document").1;
            current.push_str(line);
            current.push('\n');
        }
    }
    docs.into_iter()
        .filter(|(_, d)| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// Splits a config file into documents and reads each one's `apiVersion` and `kind`.
pub fn load_documents(text: &str, source: &str) -> Result<Documents, ConfigError> {
    let mut docs = Vec::new();
    for (i, (line, doc)) in split_documents(text).into_iter().enumerate() {
        let index = i + 1;
        let location = format!("{source}: document {index}");
        let meta: TypeMeta = serde_saphyr::from_str(&doc).map_err(|e| ConfigError::Decode {
            location: location.clone(),
            message: yaml_error::describe(&e, &doc, line),
        })?;
        let (Some(api_version), Some(kind)) = (meta.api_version, meta.kind) else {
            return Err(ConfigError::Decode {
                location,
                message: "every document needs apiVersion and kind (e.g. apiVersion: kubeadm.k8s.io/v1beta4, kind: InitConfiguration)".into(),
            });
        };
        docs.push(Document {
            index,
            line,
            api_version,
            kind,
            text: doc,
        });
    }
    Ok(Documents {
        source: source.to_string(),
        docs,
    })
}

impl Document {
    pub fn location(&self, source: &str) -> String {
        format!("{source}: document {} ({})", self.index, self.kind)
    }

    /// Strict decoding: unknown fields are errors naming the field, its path and its line.
    pub fn decode<T: DeserializeOwned>(&self, source: &str) -> Result<T, ConfigError> {
        serde_saphyr::from_str(&self.text).map_err(|e| ConfigError::Decode {
            location: self.location(source),
            message: yaml_error::describe(&e, &self.text, self.line),
        })
    }

    /// Decodes a v1beta3 document; when it fails only because it uses v1beta4 fields, says so.
    fn decode_v1beta3<Old: DeserializeOwned, New: DeserializeOwned>(
        &self,
        source: &str,
    ) -> Result<Old, ConfigError> {
        self.decode::<Old>(source).map_err(|err| match err {
            ConfigError::Decode { location, message } if self.decode::<New>(source).is_ok() => ConfigError::Decode {
                location,
                message: format!(
                    "{message}; that field exists only in {}: change apiVersion, or convert the file with `kubeadm-rs config migrate`",
                    v1beta4::GROUP_VERSION
                ),
            },
            other => other,
        })
    }
}

/// What a document is, once its group and kind are checked.
pub(crate) enum Known {
    Init(Box<v1beta4::InitConfiguration>),
    Cluster {
        config: Box<v1beta4::ClusterConfiguration>,
        /// v1beta3's `apiServer.timeoutForControlPlane`, which v1beta4 keeps in InitConfiguration.timeouts.
        control_plane_timeout: Option<GoDuration>,
    },
    Join(Box<v1beta4::JoinConfiguration>),
    Kubelet(ComponentConfig),
    KubeProxy(ComponentConfig),
    /// kubeadm-rs's own `PluginConfiguration`.
    Plugins(Box<plugins::PluginConfiguration>),
    /// A kubeadm kind these commands do not use (ResetConfiguration, UpgradeConfiguration): a warning.
    Unused(String),
    /// A group kubeadm does not know: ignored with a warning by init and join, an error for
    /// `config validate` and `config migrate` (as kubeadm's validateKnownGVKs).
    Unknown {
        location: String,
        api_version: String,
    },
}

impl Known {
    /// The warning shown when an unknown document is skipped.
    pub(crate) fn unknown_warning(location: &str, api_version: &str) -> String {
        format!(
            "{location}: ignored configuration document with unknown apiVersion {api_version:?}"
        )
    }
}

/// The decoded documents, each with its position in `Documents::docs`.
pub(crate) struct Decoded {
    pub items: Vec<(usize, Known)>,
    /// "This file uses a deprecated API version" warnings (init and join show them; migrate does not).
    pub deprecations: Vec<String>,
    /// Component configs with fields their types lack, one line per document: warnings for
    /// init and join, errors for `config validate` (kubeadm's strict decoding).
    pub strict: Vec<String>,
}

const KUBEADM_KINDS: [&str; 5] = [
    "InitConfiguration",
    "ClusterConfiguration",
    "JoinConfiguration",
    "ResetConfiguration",
    "UpgradeConfiguration",
];

/// The kinds a kubeadm API version defines (v1beta3 predates Reset and Upgrade).
fn kinds_of(api_version: &str) -> &'static [&'static str] {
    if api_version == v1beta3::GROUP_VERSION {
        &KUBEADM_KINDS[..3]
    } else {
        &KUBEADM_KINDS
    }
}

/// The one version a non-kubeadm kind we read is read in.
fn known_version_of(kind: &str) -> Option<&'static str> {
    match kind {
        "KubeletConfiguration" => Some(KUBELET_CONFIG_GROUP_VERSION),
        "KubeProxyConfiguration" => Some(KUBE_PROXY_CONFIG_GROUP_VERSION),
        plugins::KIND => Some(plugins::GROUP_VERSION),
        _ => None,
    }
}

/// kubeadm API versions that are no longer read, with the last kubeadm release that can migrate them.
const OLD_API_VERSIONS: [(&str, &str); 5] = [
    ("kubeadm.k8s.io/v1alpha1", "v1.11"),
    ("kubeadm.k8s.io/v1alpha2", "v1.12"),
    ("kubeadm.k8s.io/v1alpha3", "v1.14"),
    ("kubeadm.k8s.io/v1beta1", "v1.15"),
    ("kubeadm.k8s.io/v1beta2", "v1.22"),
];

impl Documents {
    /// Decodes every document, converting v1beta3 to v1beta4.
    pub(crate) fn decode_all(&self) -> Result<Decoded, ConfigError> {
        let mut decoded = Decoded {
            items: Vec::new(),
            deprecations: Vec::new(),
            strict: Vec::new(),
        };
        let mut seen = std::collections::BTreeMap::new();
        for (position, doc) in self.docs.iter().enumerate() {
            let known = self.decode_one(doc, &mut decoded.deprecations, &mut decoded.strict)?;
            if !matches!(known, Known::Unused(_) | Known::Unknown { .. })
                && let Some(first) = seen.insert(doc.kind.clone(), doc.index)
            {
                return Err(ConfigError::Decode {
                    location: doc.location(&self.source),
                    message: format!("duplicate {} (first in document {first})", doc.kind),
                });
            }
            decoded.items.push((position, known));
        }
        Ok(decoded)
    }

    fn decode_one(
        &self,
        doc: &Document,
        deprecations: &mut Vec<String>,
        strict: &mut Vec<String>,
    ) -> Result<Known, ConfigError> {
        let location = doc.location(&self.source);
        let source = self.source.as_str();
        let kind = doc.kind.as_str();
        match doc.api_version.as_str() {
            v @ (v1beta4::GROUP_VERSION | v1beta3::GROUP_VERSION)
                if !kinds_of(v).contains(&kind) =>
            {
                Err(ConfigError::Decode {
                    location,
                    message: format!(
                        "no kind {kind:?} is registered for version {v:?}; expected one of {}",
                        kinds_of(v).join(", ")
                    ),
                })
            }
            v1beta4::GROUP_VERSION => Ok(match kind {
                "InitConfiguration" => Known::Init(Box::new(doc.decode(source)?)),
                "ClusterConfiguration" => Known::Cluster {
                    config: Box::new(doc.decode(source)?),
                    control_plane_timeout: None,
                },
                "JoinConfiguration" => Known::Join(Box::new(doc.decode(source)?)),
                other => Known::Unused(format!(
                    "{location}: {other} is not used by this command; ignored"
                )),
            }),
            v1beta3::GROUP_VERSION => {
                deprecations.push(format!(
                    "{location}: your configuration file uses a deprecated API spec: {:?} (kind: {kind:?}). \
                     Please use 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', \
                     which will write the new, similar spec using a newer API version.",
                    v1beta3::GROUP_VERSION
                ));
                Ok(match kind {
                    "InitConfiguration" => Known::Init(Box::new(
                        doc.decode_v1beta3::<v1beta3::InitConfiguration, v1beta4::InitConfiguration>(source)?
                            .convert(),
                    )),
                    "ClusterConfiguration" => {
                        let old = doc.decode_v1beta3::<v1beta3::ClusterConfiguration, v1beta4::ClusterConfiguration>(source)?;
                        Known::Cluster {
                            control_plane_timeout: old.timeout_for_control_plane(),
                            config: Box::new(old.convert()),
                        }
                    }
                    "JoinConfiguration" => Known::Join(Box::new(
                        doc.decode_v1beta3::<v1beta3::JoinConfiguration, v1beta4::JoinConfiguration>(source)?
                            .convert(),
                    )),
                    other => unreachable!("{other} is not a v1beta3 kind"),
                })
            }
            v if v.starts_with("kubeadm.k8s.io/") => {
                let message = match OLD_API_VERSIONS.iter().find(|(old, _)| *old == v) {
                    Some((_, release)) => format!(
                        "your configuration file uses an old API spec: {v:?} (kind: {kind:?}). Please use kubeadm {release} \
                         instead and run 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', \
                         which will write the new, similar spec using a newer API version."
                    ),
                    None => format!(
                        "apiVersion {v:?} is not supported; expected {} (or {})",
                        v1beta4::GROUP_VERSION,
                        v1beta3::GROUP_VERSION
                    ),
                };
                Err(ConfigError::Decode { location, message })
            }
            plugins::GROUP_VERSION if kind == plugins::KIND => {
                Ok(Known::Plugins(Box::new(plugins::decode(doc, source)?)))
            }
            plugins::GROUP_VERSION => Err(ConfigError::Decode {
                location,
                message: format!(
                    "no kind {kind:?} is registered for version {:?}; expected {}",
                    plugins::GROUP_VERSION,
                    plugins::KIND
                ),
            }),
            KUBELET_CONFIG_GROUP_VERSION if kind == "KubeletConfiguration" => {
                let config = doc.decode(source)?;
                component_fields::check_kubelet(&config, &location)?;
                strict.extend(component_fields::strict_kubelet(&config, &location));
                Ok(Known::Kubelet(config))
            }
            KUBE_PROXY_CONFIG_GROUP_VERSION if kind == "KubeProxyConfiguration" => {
                let config = doc.decode(source)?;
                component_fields::check_kube_proxy(&config, &location)?;
                strict.extend(component_fields::strict_kube_proxy(&config, &location));
                Ok(Known::KubeProxy(config))
            }
            // A kind we read under another version is refused, never skipped: a skipped
            // PluginConfiguration would silently run none of its plugins.
            _ if let Some(expected) = known_version_of(kind) => Err(ConfigError::Decode {
                location,
                message: format!(
                    "apiVersion {:?} is not supported for {kind}; expected {expected}",
                    doc.api_version,
                ),
            }),
            other => Ok(Known::Unknown {
                location,
                api_version: other.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
