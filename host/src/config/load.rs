//! Reading multi-document config files: split, identify each document's kind, decode strictly.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{ConfigError, KUBE_PROXY_CONFIG_GROUP_VERSION, KUBELET_CONFIG_GROUP_VERSION, v1beta3, v1beta4};

/// One YAML document of a config file, with the kind it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// 1-based position in the file, for error messages.
    pub index: usize,
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

/// The first line of a YAML error, without the source snippet.
pub(crate) fn yaml_message(err: &serde_saphyr::Error) -> String {
    let text = err.without_snippet().to_string();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid YAML").trim();
    first.to_string()
}

/// Splits on `---` lines, as Kubernetes' YAML reader does; empty documents are dropped.
fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line == "---" || line.starts_with("--- ") || line.starts_with("---\t") {
            docs.push(String::new());
        } else {
            let current = docs.last_mut().expect("at least one document");
            current.push_str(line);
            current.push('\n');
        }
    }
    docs.into_iter()
        .filter(|d| d.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')))
        .collect()
}

/// Splits a config file into documents and reads each one's `apiVersion` and `kind`.
pub fn load_documents(text: &str, source: &str) -> Result<Documents, ConfigError> {
    let mut docs = Vec::new();
    for (i, doc) in split_documents(text).into_iter().enumerate() {
        let index = i + 1;
        let location = format!("{source}: document {index}");
        let meta: TypeMeta = serde_saphyr::from_str(&doc).map_err(|e| ConfigError::Decode {
            location: location.clone(),
            message: yaml_message(&e),
        })?;
        let (Some(api_version), Some(kind)) = (meta.api_version, meta.kind) else {
            return Err(ConfigError::Decode {
                location,
                message: "every document needs apiVersion and kind (e.g. apiVersion: kubeadm.k8s.io/v1beta4, kind: InitConfiguration)".into(),
            });
        };
        docs.push(Document {
            index,
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

    /// Strict decoding: unknown fields are errors naming the field and the document.
    pub fn decode<T: DeserializeOwned>(&self, source: &str) -> Result<T, ConfigError> {
        serde_saphyr::from_str(&self.text).map_err(|e| ConfigError::Decode {
            location: self.location(source),
            message: yaml_message(&e),
        })
    }
}

/// What a document is, once its group and kind are checked.
pub(crate) enum Known {
    Init(v1beta4::InitConfiguration),
    Cluster(v1beta4::ClusterConfiguration),
    Join(v1beta4::JoinConfiguration),
    Kubelet(super::ComponentConfig),
    KubeProxy(super::ComponentConfig),
    /// A kind this command does not use, or a group kubeadm does not know: warned about, ignored.
    Other(String),
}

const KUBEADM_KINDS: [&str; 5] = [
    "InitConfiguration",
    "ClusterConfiguration",
    "JoinConfiguration",
    "ResetConfiguration",
    "UpgradeConfiguration",
];

impl Documents {
    /// Decodes every document, converting v1beta3 to v1beta4.
    pub(crate) fn decode_all(&self) -> Result<Vec<Known>, ConfigError> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        for doc in &self.docs {
            let location = doc.location(&self.source);
            let known = match doc.api_version.as_str() {
                v1beta4::GROUP_VERSION | v1beta3::GROUP_VERSION => {
                    if !KUBEADM_KINDS.contains(&doc.kind.as_str()) {
                        return Err(ConfigError::Decode {
                            location,
                            message: format!(
                                "no kind {:?} is registered for version {:?}; expected one of {}",
                                doc.kind,
                                doc.api_version,
                                KUBEADM_KINDS.join(", ")
                            ),
                        });
                    }
                    let v4 = doc.api_version == v1beta4::GROUP_VERSION;
                    match doc.kind.as_str() {
                        "InitConfiguration" if v4 => Known::Init(doc.decode(&self.source)?),
                        "InitConfiguration" => {
                            Known::Init(doc.decode::<v1beta3::InitConfiguration>(&self.source)?.convert())
                        }
                        "ClusterConfiguration" if v4 => Known::Cluster(doc.decode(&self.source)?),
                        "ClusterConfiguration" => {
                            Known::Cluster(doc.decode::<v1beta3::ClusterConfiguration>(&self.source)?.convert())
                        }
                        "JoinConfiguration" if v4 => Known::Join(doc.decode(&self.source)?),
                        "JoinConfiguration" => {
                            Known::Join(doc.decode::<v1beta3::JoinConfiguration>(&self.source)?.convert())
                        }
                        other => Known::Other(format!("{location}: {other} is not used by this command; ignored")),
                    }
                }
                v if v.starts_with("kubeadm.k8s.io/") => {
                    return Err(ConfigError::Decode {
                        location,
                        message: format!(
                            "apiVersion {v:?} is not supported; use {} (or {}); \
                             older files can be converted with `kubeadm config migrate` from an older kubeadm",
                            v1beta4::GROUP_VERSION,
                            v1beta3::GROUP_VERSION
                        ),
                    });
                }
                KUBELET_CONFIG_GROUP_VERSION if doc.kind == "KubeletConfiguration" => {
                    Known::Kubelet(doc.decode(&self.source)?)
                }
                KUBE_PROXY_CONFIG_GROUP_VERSION if doc.kind == "KubeProxyConfiguration" => {
                    Known::KubeProxy(doc.decode(&self.source)?)
                }
                _ if doc.kind == "KubeletConfiguration" || doc.kind == "KubeProxyConfiguration" => {
                    return Err(ConfigError::Decode {
                        location,
                        message: format!(
                            "apiVersion {:?} is not supported for {}; use {}",
                            doc.api_version,
                            doc.kind,
                            if doc.kind == "KubeletConfiguration" {
                                KUBELET_CONFIG_GROUP_VERSION
                            } else {
                                KUBE_PROXY_CONFIG_GROUP_VERSION
                            }
                        ),
                    });
                }
                other => Known::Other(format!(
                    "{location}: unknown apiVersion {other:?} with kind {:?}; ignored",
                    doc.kind
                )),
            };
            if !matches!(known, Known::Other(_))
                && let Some(first) = seen.insert(doc.kind.clone(), doc.index)
            {
                return Err(ConfigError::Decode {
                    location,
                    message: format!("duplicate {} (first in document {first})", doc.kind),
                });
            }
            out.push(known);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_on_separator_lines_only() {
        let docs = split_documents("a: 1\n---\nb: '---'\n--- \n# only a comment\n---\nc: 3\n");
        assert_eq!(docs, vec!["a: 1\n", "b: '---'\n", "c: 3\n"]);
    }
}
