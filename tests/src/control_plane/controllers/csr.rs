//! Reading a CertificateSigningRequest: its PKCS#10 request, subject and usages, and whether
//! it is the kind of node client certificate kube-controller-manager treats specially.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;

use super::super::meta;
use super::super::rbac::{NODE_USER_PREFIX, NODES_GROUP};

pub const KUBELET_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client-kubelet";
pub const APISERVER_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";

/// The parts of a CSR object the controllers decide on.
pub struct Csr {
    pub signer: String,
    pub username: String,
    pub groups: Vec<String>,
    pub usages: Vec<String>,
    /// The PKCS#10 request, DER.
    pub request: Vec<u8>,
    pub common_name: String,
    pub organizations: Vec<String>,
}

/// Why a CSR object cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("certificatesigningrequest {name:?}: {reason}")]
pub struct CsrError {
    pub name: String,
    pub reason: String,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

impl Csr {
    pub fn read(object: &Value) -> Result<Csr, CsrError> {
        let name = meta::name(object).unwrap_or("").to_string();
        let bad = |reason: String| CsrError {
            name: name.clone(),
            reason,
        };
        let encoded = meta::str_field(object, "/spec/request")
            .ok_or_else(|| bad("spec.request is missing".into()))?;
        let pem_text = STANDARD
            .decode(encoded)
            .map_err(|e| bad(format!("spec.request is not base64: {e}")))?;
        let block =
            ::pem::parse(&pem_text).map_err(|e| bad(format!("spec.request is not PEM: {e}")))?;
        if block.tag() != "CERTIFICATE REQUEST" {
            return Err(bad(format!(
                "spec.request holds a {} PEM block, expected CERTIFICATE REQUEST",
                block.tag()
            )));
        }
        let request = block.contents().to_vec();
        let (_, parsed) = X509CertificationRequest::from_der(&request)
            .map_err(|e| bad(format!("spec.request is not a PKCS#10 request: {e}")))?;
        let subject = &parsed.certification_request_info.subject;
        let common_name = subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .unwrap_or("")
            .to_string();
        let organizations = subject
            .iter_organization()
            .filter_map(|o| o.as_str().ok().map(String::from))
            .collect();
        Ok(Csr {
            signer: meta::str_field(object, "/spec/signerName")
                .unwrap_or("")
                .to_string(),
            username: meta::str_field(object, "/spec/username")
                .unwrap_or("")
                .to_string(),
            groups: strings(object.pointer("/spec/groups")),
            usages: strings(object.pointer("/spec/usages")),
            request,
            common_name,
            organizations,
        })
    }

    /// kube-controller-manager's node client certificate: O `system:nodes` only, CN
    /// `system:node:<name>`, usages client auth and digital signature (key encipherment optional).
    pub fn is_node_client(&self) -> bool {
        let mut usages: Vec<&str> = self.usages.iter().map(String::as_str).collect();
        usages.sort_unstable();
        usages.dedup();
        let usages_ok = usages == ["client auth", "digital signature"]
            || usages == ["client auth", "digital signature", "key encipherment"];
        self.organizations == [NODES_GROUP]
            && self.common_name.starts_with(NODE_USER_PREFIX)
            && self.common_name.len() > NODE_USER_PREFIX.len()
            && usages_ok
    }

    /// A node renewing its own client certificate.
    pub fn is_self_node_client(&self) -> bool {
        self.is_node_client() && self.username == self.common_name
    }
}

/// Whether the CSR has a condition of this type with status True.
pub fn has_condition(object: &Value, kind: &str) -> bool {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter().any(|c| {
                meta::str_field(c, "/type") == Some(kind)
                    && meta::str_field(c, "/status").unwrap_or("True") == "True"
            })
        })
}
