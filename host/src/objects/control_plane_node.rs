//! `mark-control-plane`: the labels and taints kubeadm puts on a control-plane Node, and the
//! patch that adds whichever of them a Node lacks.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Taint};
use serde_json::{Map, Value, json};

use super::ObjectError;
use crate::config::control_plane_taint;
use crate::config::v1beta4::NodeRegistrationOptions;

pub const LABEL_CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";
pub const LABEL_EXCLUDE_FROM_EXTERNAL_LB: &str =
    "node.kubernetes.io/exclude-from-external-load-balancers";
/// The labels every control-plane Node carries, each with an empty value.
pub const CONTROL_PLANE_LABELS: [&str; 2] = [LABEL_CONTROL_PLANE, LABEL_EXCLUDE_FROM_EXTERNAL_LB];

/// What marks a Node as a control-plane node: [`CONTROL_PLANE_LABELS`] and the taints of
/// `nodeRegistration.taints`.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlPlaneMarks {
    pub taints: Vec<Taint>,
}

impl ControlPlaneMarks {
    /// The marks for this node's registration: unset taints mean kubeadm's
    /// `node-role.kubernetes.io/control-plane:NoSchedule`, an empty list means none.
    pub fn for_node(registration: &NodeRegistrationOptions) -> Result<Self, ObjectError> {
        let wanted = match &registration.taints {
            None => vec![control_plane_taint()],
            Some(taints) => taints.clone(),
        };
        let taints = wanted
            .iter()
            .map(|t| {
                let json = serde_json::to_value(t).expect("config taints serialize");
                serde_json::from_value(json).map_err(|e| ObjectError::InvalidTaint {
                    taint: format!("{}:{}", t.key, t.effect),
                    message: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ControlPlaneMarks { taints })
    }

    /// Whether `node` already carries every label (with an empty value) and every taint.
    pub fn carried_by(&self, node: &Node) -> bool {
        self.patch(node).is_none()
    }

    /// The patch that marks `node`, or `None` if it is marked already. It holds only the missing
    /// labels and, if a taint is missing, the whole taint list: the wanted taints, then the Node's
    /// others, as kubeadm orders them. Node taints have no merge key, so the same value works as a
    /// JSON merge patch and as a strategic merge patch.
    pub fn patch(&self, node: &Node) -> Option<Value> {
        let current_labels = node.metadata.labels.as_ref();
        let labels: BTreeMap<&str, &str> = CONTROL_PLANE_LABELS
            .iter()
            .filter(|l| current_labels.and_then(|c| c.get(**l)).map(String::as_str) != Some(""))
            .map(|l| (*l, ""))
            .collect();
        let current_taints = node
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default();
        let taints_missing = self.taints.iter().any(|t| !current_taints.contains(t));

        let mut patch = Map::new();
        if !labels.is_empty() {
            patch.insert("metadata".into(), json!({ "labels": labels }));
        }
        if taints_missing {
            let mut taints = self.taints.clone();
            taints.extend(
                current_taints
                    .into_iter()
                    .filter(|t| !self.taints.contains(t)),
            );
            patch.insert("spec".into(), json!({ "taints": taints }));
        }
        (!patch.is_empty()).then_some(Value::Object(patch))
    }
}
