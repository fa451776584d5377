//! Hostile addon plugin: renders what the host must refuse. It declares only
//! `cluster-apply ConfigMap in namespace hostile` and `cluster-read ConfigMap in
//! namespace hostile`.
//!
//! | mode | renders | the host should report |
//! |---|---|---|
//! | `valid` | one ConfigMap `hostile/ok` (control) | nothing: it applies |
//! | `invalid-yaml` | text that does not parse | bad output |
//! | `not-an-object` | a YAML list and a scalar | bad output |
//! | `no-kind` | an object without `apiVersion`/`kind` | bad output |
//! | `ungranted-kind` | a ClusterRoleBinding giving cluster-admin away | permission denied (kind) |
//! | `ungranted-namespace` | a ConfigMap in `kube-system` | permission denied (namespace) |
//! | `hidden-in-stream` | a valid ConfigMap, then a Secret in the same YAML stream | permission denied (kind) |
//! | `flood-objects` | `count` (100 000) ConfigMaps in one YAML stream | bad output (too many objects) |
//! | `flood-manifests` | `count` (100 000) manifests of one ConfigMap each | bad output (too many manifests) |
//! | `huge` | one ConfigMap with `mb` (50) MiB of data | bad output (too large) |
//! | `read-undeclared` | reads Secret `kube-system/bootstrap-token-abcdef` | render fails: `denied: …` |
//! | `read-declared` | reads ConfigMap `hostile/input`; the manifest says `unavailable`, `absent` or `present` | (control) |
//! | `hidden` | a ConfigMap whose `hostPID: "true"` a carriage return and a comment paint over, and whose `privileged` value a bidi override reverses | dry-run shows it re-serialised, escaped |
//! | `bad-name` | a ConfigMap named `x?dryRun=All#` | bad output (name) |
//! | `traversal-name` | a ConfigMap named `../../../apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x` | bad output (name) |
//! | `no-namespace` | a ConfigMap without `metadata.namespace` | bad output (namespace missing) |
//! | `non-string-namespace` | a ConfigMap whose `metadata.namespace` is a list | bad output (namespace not a string) |
//! | `wrong-group` | a ConfigMap with `apiVersion: apps/v1` | bad output (apiVersion) |
//! | `read-traversal` | reads ConfigMap `hostile/../../kube-system/secrets/x` | render fails: `unavailable: …` |

use kubeadm_rs_plugin_sdk::{
    AddonPlugin, ClusterError, ClusterObjects, ClusterView, Manifest, ParamError, Parameter,
    Params, Permission, PermissionRequest, PluginError,
};

const MODES: &str = "valid, invalid-yaml, not-an-object, no-kind, ungranted-kind, ungranted-namespace, \
hidden-in-stream, flood-objects, flood-manifests, huge, read-undeclared, read-declared, hidden, bad-name, \
traversal-name, no-namespace, non-string-namespace, wrong-group, read-traversal";

fn config_map(namespace: &str, name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  value: \"{value}\"\n"
    )
}

pub struct HostileAddon;

impl AddonPlugin for HostileAddon {
    const NAME: &'static str = "hostile-addon";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new("mode", MODES),
            Parameter::new("count", "objects or manifests for the floods").with_default("100000"),
            Parameter::new("mb", "data size for huge, in MiB").with_default("50"),
        ]
    }

    fn permissions() -> Vec<PermissionRequest> {
        vec![
            Permission::cluster_apply("ConfigMap", "hostile")
                .because("the sandbox tests' one allowed kind"),
            Permission::cluster_read("ConfigMap", "hostile")
                .because("the sandbox tests' one readable kind"),
        ]
    }

    fn render(
        _: &ClusterView,
        params: &Params,
        objects: &dyn ClusterObjects,
    ) -> Result<Vec<Manifest>, PluginError> {
        let one = |content: String| Ok(vec![Manifest::new("hostile", content)]);
        match params.require("mode")? {
            "valid" => one(config_map("hostile", "ok", "fine")),
            "invalid-yaml" => one("kind: [unclosed\n  - : :\n\t{".to_owned()),
            "not-an-object" => one("- just\n- a list\n---\nplain scalar\n".to_owned()),
            "no-kind" => one("metadata:\n  name: anonymous\n  namespace: hostile\n".to_owned()),
            "ungranted-kind" => one(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: hostile-admin\n\
                 roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\n\
                 subjects:\n- kind: ServiceAccount\n  name: default\n  namespace: hostile\n"
                    .to_owned(),
            ),
            "ungranted-namespace" => one(config_map("kube-system", "hostile", "planted")),
            "hidden-in-stream" => one(format!(
                "{}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: hostile\n  namespace: hostile\nstringData:\n  token: stolen\n",
                config_map("hostile", "decoy", "looks fine")
            )),
            "flood-objects" => {
                let count = params.u64_or("count", 100_000)?;
                let docs: Vec<String> =
                    (0..count).map(|i| config_map("hostile", &format!("flood-{i}"), "x")).collect();
                one(docs.join("---\n"))
            }
            "flood-manifests" => Ok((0..params.u64_or("count", 100_000)?)
                .map(|i| Manifest::new(format!("flood-{i}"), config_map("hostile", &format!("flood-{i}"), "x")))
                .collect()),
            "huge" => {
                let mb = usize::try_from(params.u64_or("mb", 50)?).unwrap_or(usize::MAX);
                one(config_map("hostile", "huge", &"x".repeat(mb.saturating_mul(1 << 20))))
            }
            "read-undeclared" => match objects.get("Secret", Some("kube-system"), "bootstrap-token-abcdef") {
                Ok(found) => one(config_map("hostile", "stolen", &format!("{found:?}").replace('"', "'"))),
                Err(err) => Err(PluginError::msg(format!("denied: {err}"))),
            },
            "read-declared" => {
                let seen = match objects.get("ConfigMap", Some("hostile"), "input") {
                    Ok(Some(_)) => "present",
                    Ok(None) => "absent",
                    Err(ClusterError::Unavailable { .. }) => "unavailable",
                    Err(err @ ClusterError::Denied { .. }) => return Err(err.into()),
                };
                one(config_map("hostile", "seen", seen))
            }
            "hidden" => one(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hidden\n  namespace: hostile\ndata:\n  \
                 hostPID: \"true\"\r# nothing here                \n  \
                 privileged: \"\u{202e}eurt\u{202c}\"\n  note: \"zero\u{200b}width\u{e0041}\"\n"
                    .to_owned(),
            ),
            "bad-name" => one(config_map("hostile", "x?dryRun=All#", "x")),
            "traversal-name" => one(config_map(
                "hostile",
                "../../../apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x",
                "x",
            )),
            "no-namespace" => one(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nowhere\ndata:\n  value: x\n".to_owned(),
            ),
            "non-string-namespace" => one(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: listed\n  namespace: [hostile]\n".to_owned(),
            ),
            "wrong-group" => one(config_map("hostile", "ok", "x").replace("apiVersion: v1", "apiVersion: apps/v1")),
            "read-traversal" => match objects.get("ConfigMap", Some("hostile"), "../../kube-system/secrets/x") {
                Ok(found) => one(config_map("hostile", "stolen", &format!("{found:?}").replace('"', "'"))),
                Err(err) => Err(PluginError::msg(format!("refused: {err}"))),
            },
            other => Err(ParamError::Invalid {
                key: "mode".to_owned(),
                value: other.to_owned(),
                expected: format!("one of {MODES}"),
            }
            .into()),
        }
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(addon: HostileAddon);
