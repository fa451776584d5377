//! File discovery: a kubeconfig on this host or at an `https://` URL, made self-contained
//! (CA and credential files embedded), then checked against cluster-info as kubeadm does.

use std::path::{Path, PathBuf};

use super::fetch::{Credentials, FetchError, Trust};
use super::{CLUSTER_INFO_PATH, Discovered, DiscoveryError, DiscoveryOptions, Method, Retry, Run};
use crate::kubeconfig::{Kubeconfig, NamedUser, User};

/// Where the kubeconfig came from, for reading the files it names and for messages.
enum Source {
    File(PathBuf),
    Url(String),
}

impl Source {
    fn error(&self, reason: String) -> DiscoveryError {
        match self {
            Source::File(path) => DiscoveryError::File {
                path: path.display().to_string(),
                reason,
            },
            Source::Url(url) => DiscoveryError::Url {
                url: url.clone(),
                reason,
            },
        }
    }

    /// Reads a file the kubeconfig names; relative paths are relative to the kubeconfig's
    /// directory, as client-go resolves them. A document from the network may not name files
    /// on this host: it could make us load keys it has no business choosing.
    fn read(&self, field: &str, named: &str) -> Result<Vec<u8>, DiscoveryError> {
        let Source::File(kubeconfig) = self else {
            return Err(self.error(format!(
                "{field} names a file ({named}); a discovery file fetched over HTTPS must embed its data ({field}-data)"
            )));
        };
        let path = kubeconfig.parent().unwrap_or(Path::new(".")).join(named);
        std::fs::read(&path).map_err(|e| self.error(format!("{field} {}: {e}", path.display())))
    }
}

pub(super) fn discover(
    run: &Run<'_>,
    location: &str,
    options: &DiscoveryOptions,
) -> Result<Discovered, DiscoveryError> {
    let location = location.strip_prefix("file://").unwrap_or(location);
    let (source, text) = if location.starts_with("https://") {
        let source = Source::Url(location.into());
        (source, fetch_kubeconfig(run, location, options)?)
    } else if location.contains("://") {
        return Err(DiscoveryError::Url {
            url: location.into(),
            reason: "only https:// URLs (or a path on this host) are accepted for a discovery file"
                .into(),
        });
    } else if location.is_empty() {
        return Err(DiscoveryError::File {
            path: String::new(),
            reason: "discovery.file.kubeConfigPath is empty".into(),
        });
    } else {
        let path = PathBuf::from(location);
        let source = Source::File(path.clone());
        let text = std::fs::read_to_string(&path).map_err(|e| source.error(e.to_string()))?;
        (source, text)
    };

    let kubeconfig = Kubeconfig::parse(&text).map_err(|r| source.error(r))?;
    let (cluster_name, cluster) = current_cluster(&kubeconfig)
        .ok_or_else(|| source.error("the kubeconfig must define at least one cluster".into()))?;
    if !cluster.server.starts_with("https://") {
        return Err(source.error(format!(
            "cluster {cluster_name:?}: server {:?} is not an https:// URL",
            cluster.server
        )));
    }
    let mut ca_pem = match (
        &cluster.certificate_authority_data,
        &cluster.certificate_authority,
    ) {
        (Some(data), _) if !data.is_empty() => Some(data.clone()),
        (_, Some(path)) if !path.is_empty() => Some(source.read("certificate-authority", path)?),
        _ => None,
    };
    let credentials = embedded_credentials(&kubeconfig, &source)?;

    let trust = match &ca_pem {
        Some(pem) => Trust::ca_bundle(pem)
            .map_err(|r| source.error(format!("cluster {cluster_name:?}: {r}")))?,
        None => Trust::system_and(&options.extra_trust_roots).map_err(DiscoveryError::Client)?,
    };
    let presented = match &credentials {
        Some(NamedUser { user, .. }) => match (
            &user.token,
            &user.client_certificate_data,
            &user.client_key_data,
        ) {
            (Some(token), _, _) => Credentials::Bearer(token.clone()),
            (None, Some(cert), Some(key)) => Credentials::ClientCertificate {
                cert_pem: cert.clone(),
                key_pem: key.clone(),
            },
            _ => Credentials::Anonymous,
        },
        None => Credentials::Anonymous,
    };

    let server = cluster.server.trim_end_matches('/').to_string();
    if let Some(refreshed) = read_cluster_info(run, &server, &trust, &presented, ca_pem.is_some())?
    {
        if refreshed.server != cluster.server {
            run.events.warn(format!(
                "[discovery] the API Server endpoint {:?} in use is different from the endpoint {:?} which is defined in the cluster-info ConfigMap",
                cluster.server, refreshed.server
            ));
        }
        if ca_pem.is_none() {
            ca_pem = refreshed
                .certificate_authority_data
                .filter(|ca| !ca.is_empty());
        }
    }

    Ok(Discovered {
        method: match source {
            Source::File(path) => Method::File {
                path: path.display().to_string(),
            },
            Source::Url(url) => Method::Url { url },
        },
        server: cluster.server.clone(),
        ca_pem,
        credentials,
    })
}

/// The cluster of the current context, or the first one when there is no current context.
fn current_cluster(kubeconfig: &Kubeconfig) -> Option<(String, crate::kubeconfig::Cluster)> {
    let name = kubeconfig
        .context(&kubeconfig.current_context)
        .map(|c| c.cluster.clone())
        .or_else(|| kubeconfig.clusters.first().map(|c| c.name.clone()))?;
    kubeconfig.cluster(&name).map(|c| (name, c.clone()))
}

/// The current user's credentials (a token, or a client certificate and key) with the files
/// they name read in, so the result works wherever it is written; `None` without any.
fn embedded_credentials(
    kubeconfig: &Kubeconfig,
    source: &Source,
) -> Result<Option<NamedUser>, DiscoveryError> {
    let Some(context) = kubeconfig.context(&kubeconfig.current_context) else {
        return Ok(None);
    };
    let Some(user) = kubeconfig.user(&context.user) else {
        return Ok(None);
    };
    let mut embedded = User {
        token: user.token.clone().filter(|t| !t.is_empty()),
        ..User::default()
    };
    embedded.client_certificate_data =
        match (&user.client_certificate_data, &user.client_certificate) {
            (Some(data), _) => Some(data.clone()),
            (None, Some(path)) => Some(source.read("client-certificate", path)?),
            (None, None) => None,
        };
    embedded.client_key_data = match (&user.client_key_data, &user.client_key) {
        (Some(data), _) => Some(data.clone()),
        (None, Some(path)) => Some(source.read("client-key", path)?),
        (None, None) => None,
    };
    if embedded.client_certificate_data.is_some() != embedded.client_key_data.is_some() {
        return Err(source.error(format!(
            "user {:?} has a client certificate without its key, or a key without its certificate",
            context.user
        )));
    }
    if embedded.token.is_none() && embedded.client_certificate_data.is_none() {
        return Ok(None);
    }
    Ok(Some(NamedUser {
        name: context.user.clone(),
        user: embedded,
    }))
}

/// GETs the discovery file over HTTPS, trusting the system's roots (and the extra ones).
fn fetch_kubeconfig(
    run: &Run<'_>,
    url: &str,
    options: &DiscoveryOptions,
) -> Result<String, DiscoveryError> {
    let bad = |reason: String| DiscoveryError::Url {
        url: url.into(),
        reason,
    };
    let trust = Trust::system_and(&options.extra_trust_roots).map_err(bad)?;
    let answer = run.poll(|budget| {
        let answer = run
            .fetcher
            .get(url, &trust, &Credentials::Anonymous, budget)
            .map_err(|e| match e {
                FetchError::Transport(cause) => Retry::Again(cause),
                other => Retry::Stop(bad(other.to_string())),
            })?;
        if answer.status == 200 {
            Ok(answer.body)
        } else {
            Err(Retry::Stop(bad(super::status_line(
                answer.status,
                &answer.body,
            ))))
        }
    });
    let body = answer.map_err(|e| match e {
        Retry::Again(cause) => bad(format!("no answer within {:?}: {cause}", run.timeout)),
        Retry::Stop(e) => e,
    })?;
    String::from_utf8(body).map_err(|_| bad("the answer is not UTF-8 text".into()))
}

/// Reads cluster-info with the discovery file's trust and credentials. `None` when the
/// server refuses (Forbidden: the TLS handshake already proved the server, as kubeadm
/// reasons) or cluster-info holds no usable kubeconfig.
fn read_cluster_info(
    run: &Run<'_>,
    server: &str,
    trust: &Trust,
    credentials: &Credentials,
    file_has_ca: bool,
) -> Result<Option<crate::kubeconfig::Cluster>, DiscoveryError> {
    let url = format!("{server}{CLUSTER_INFO_PATH}");
    let trusting = if file_has_ca {
        "the CA in the discovery file"
    } else {
        "the system's trust roots"
    };
    let read = run.poll(|budget| {
        let answer = run
            .fetcher
            .get(&url, trust, credentials, budget)
            .map_err(|e| match e {
                FetchError::Transport(cause) => Retry::Again(cause),
                FetchError::Certificate(cause) => Retry::Stop(DiscoveryError::Untrusted {
                    endpoint: server.into(),
                    trusting: trusting.into(),
                    cause,
                }),
                other => Retry::Stop(DiscoveryError::Url {
                    url: url.clone(),
                    reason: other.to_string(),
                }),
            })?;
        match answer.status {
            200 => Ok(Some(answer.body)),
            403 => Ok(None),
            status => Err(Retry::Again(format!(
                "GET {url}: {}",
                super::status_line(status, &answer.body)
            ))),
        }
    });
    let body = match read {
        Ok(Some(body)) => body,
        Ok(None) => {
            run.events.warn(format!(
                "[discovery] could not access the cluster-info ConfigMap at {server} for refreshing the cluster information (Forbidden), but the TLS certificate is valid so proceeding"
            ));
            return Ok(None);
        }
        Err(Retry::Stop(e)) => return Err(e),
        Err(Retry::Again(cause)) => {
            return Err(DiscoveryError::Unreachable {
                endpoint: server.into(),
                timeout: run.timeout,
                cause,
            });
        }
    };
    let refreshed = super::configmap_data(&body).and_then(|data| {
        let text = data
            .get("kubeconfig")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| "it has no kubeconfig key".to_string())?;
        let kubeconfig = Kubeconfig::parse(text)?;
        kubeconfig
            .clusters
            .into_iter()
            .next()
            .map(|c| c.cluster)
            .ok_or_else(|| "its kubeconfig defines no cluster".to_string())
    });
    match refreshed {
        Ok(cluster) => Ok(Some(cluster)),
        Err(reason) => {
            run.events.info(format!(
                "[discovery] the cluster-info ConfigMap at {server} isn't set up properly ({reason}), but the TLS certificate is valid so proceeding"
            ));
            Ok(None)
        }
    }
}
