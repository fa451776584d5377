use serde_json::json;

use super::*;
use crate::control_plane::policy;
use crate::control_plane::request::{Target, classify, parse_query};

struct Api {
    store: Store,
    user: UserInfo,
}

impl Api {
    fn new() -> Self {
        let store = Store::new();
        policy::seed(&store).unwrap();
        Api {
            store,
            user: UserInfo {
                name: "kubernetes-admin".into(),
                groups: vec!["system:masters".into()],
            },
        }
    }

    fn call(
        &self,
        method: &str,
        url: &str,
        content_type: &str,
        body: Value,
    ) -> Result<Answer, ApiError> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let query = parse_query(Some(query));
        let Target::Resource(req) = classify(method, path, &query) else {
            panic!("{path} is not a resource path");
        };
        let body = serde_json::to_vec(&body).unwrap();
        let call = Call {
            user: &self.user,
            query: &query,
            content_type,
            body: &body,
        };
        serve(&self.store, &req, &call)
    }

    fn ok(&self, method: &str, url: &str, content_type: &str, body: Value) -> Value {
        self.call(method, url, content_type, body)
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
            .body
    }

    fn err(&self, method: &str, url: &str, content_type: &str, body: Value) -> (u16, String) {
        let e = self
            .call(method, url, content_type, body)
            .expect_err("the call fails");
        let body = e.body();
        (e.code(), body["reason"].as_str().unwrap().to_string())
    }
}

const JSON: &str = "application/json";
const CM: &str = "/api/v1/namespaces/kube-system/configmaps";

#[test]
fn crud_answers_with_kubernetes_status_codes_and_reasons() {
    let api = Api::new();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
    let created = api.call("POST", CM, JSON, cm.clone()).unwrap();
    assert_eq!(created.code, 201);
    assert_eq!(
        api.err("POST", CM, JSON, cm.clone()),
        (409, "AlreadyExists".into())
    );
    assert_eq!(
        api.err("GET", &format!("{CM}/missing"), JSON, Value::Null),
        (404, "NotFound".into())
    );
    assert_eq!(
        api.err("DELETE", &format!("{CM}/missing"), JSON, Value::Null),
        (404, "NotFound".into())
    );
    assert_eq!(
        api.err(
            "POST",
            "/api/v1/namespaces/nowhere/configmaps",
            JSON,
            cm.clone()
        ),
        (404, "NotFound".into())
    );
    assert_eq!(
        api.err(
            "GET",
            "/api/v1/namespaces/x/persistentvolumeclaims",
            JSON,
            Value::Null
        ),
        (404, "NotFound".into())
    );
    let wrong_kind = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "d"}});
    assert_eq!(
        api.err("POST", CM, JSON, wrong_kind),
        (400, "BadRequest".into())
    );
    api.ok("DELETE", &format!("{CM}/c"), JSON, Value::Null);
    assert_eq!(
        api.err("GET", &format!("{CM}/c"), JSON, Value::Null),
        (404, "NotFound".into())
    );
}

#[test]
fn updates_with_a_stale_resource_version_are_conflicts() {
    let api = Api::new();
    let created = api.ok("POST", CM, JSON, json!({"metadata": {"name": "c"}}));
    let mut first = created.clone();
    first["data"] = json!({"k": "first"});
    api.ok("PUT", &format!("{CM}/c"), JSON, first);
    let mut stale = created;
    stale["data"] = json!({"k": "stale"});
    assert_eq!(
        api.err("PUT", &format!("{CM}/c"), JSON, stale),
        (409, "Conflict".into())
    );
    assert_eq!(
        api.ok("GET", &format!("{CM}/c"), JSON, Value::Null)["data"]["k"],
        "first"
    );
}

#[test]
fn patches_merge_json_and_apply() {
    let api = Api::new();
    let url = format!("{CM}/c");
    api.ok(
        "POST",
        CM,
        JSON,
        json!({"metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1", "y": "2"}}),
    );
    let merged = api.ok(
        "PATCH",
        &url,
        "application/merge-patch+json",
        json!({"data": {"x": null, "z": "3"}}),
    );
    assert_eq!(merged["data"], json!({"y": "2", "z": "3"}));
    let strategic = api.ok(
        "PATCH",
        &url,
        "application/strategic-merge-patch+json",
        json!({"metadata": {"labels": {"b": "2"}}}),
    );
    assert_eq!(strategic["metadata"]["labels"], json!({"a": "1", "b": "2"}));
    let patched = api.ok(
        "PATCH",
        &url,
        "application/json-patch+json",
        json!([{"op": "replace", "path": "/data/y", "value": "two"}]),
    );
    assert_eq!(patched["data"]["y"], "two");
    assert_eq!(
        api.err(
            "PATCH",
            &url,
            "application/json-patch+json",
            json!([{"op": "test", "path": "/data/y", "value": "no"}])
        ),
        (422, "Invalid".into())
    );
    assert_eq!(
        api.err(
            "PATCH",
            &format!("{CM}/missing"),
            "application/merge-patch+json",
            json!({})
        ),
        (404, "NotFound".into())
    );
    let apply = "application/apply-patch+yaml";
    let applied_url = format!("{CM}/applied?fieldManager=kubeadm");
    let created = api
        .call(
            "PATCH",
            &applied_url,
            apply,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}),
        )
        .unwrap();
    assert_eq!(
        (created.code, created.body["metadata"]["name"].clone()),
        (201, json!("applied"))
    );
    let again = api.ok(
        "PATCH",
        &applied_url,
        apply,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"b": "2"}}),
    );
    assert_eq!(again["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        api.err(
            "PATCH",
            &format!("{CM}/applied"),
            apply,
            json!({"data": {}})
        ),
        (422, "Invalid".into()),
        "apply needs a fieldManager"
    );
    assert_eq!(
        api.err("PATCH", &url, "text/plain", json!({})),
        (415, "UnsupportedMediaType".into())
    );
}

#[test]
fn lists_filter_by_label_and_field_selectors() {
    let api = Api::new();
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
        api.ok(
            "POST",
            CM,
            JSON,
            json!({"metadata": {"name": name, "labels": {"tier": tier}}}),
        );
    }
    let names = |url: &str| -> Vec<String> {
        let list = api.ok("GET", url, JSON, Value::Null);
        assert_eq!(list["kind"], "ConfigMapList");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(CM), ["a", "b", "c"]);
    assert_eq!(names(&format!("{CM}?labelSelector=tier%3Dweb")), ["a", "c"]);
    assert_eq!(names(&format!("{CM}?labelSelector=tier!%3Dweb")), ["b"]);
    assert_eq!(
        names(&format!("{CM}?fieldSelector=metadata.name%3Db")),
        ["b"]
    );
    assert_eq!(
        names("/api/v1/configmaps?labelSelector=tier"),
        ["a", "b", "c"]
    );
    assert_eq!(
        api.err(
            "GET",
            &format!("{CM}?labelSelector=tier%20in%20web"),
            JSON,
            Value::Null
        ),
        (400, "BadRequest".into())
    );
}

#[test]
fn secrets_fold_string_data_into_base64_data() {
    let api = Api::new();
    let secret = api.ok(
        "POST",
        "/api/v1/namespaces/kube-system/secrets",
        JSON,
        json!({"metadata": {"name": "s"}, "stringData": {"token-id": "abcdef"}}),
    );
    assert_eq!(secret["data"]["token-id"], "YWJjZGVm");
    assert_eq!(secret["type"], "Opaque");
    assert!(secret.get("stringData").is_none());
}

#[test]
fn csrs_record_their_requester_and_change_status_only_through_subresources() {
    let api = Api::new();
    let base = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    let created = api.ok(
        "POST",
        base,
        JSON,
        json!({"metadata": {"name": "c"}, "spec": {"request": "cmVx", "signerName": "x/y", "username": "forged"},
               "status": {"certificate": "Zm9yZ2Vk"}}),
    );
    assert_eq!(created["spec"]["username"], "kubernetes-admin");
    assert_eq!(created["spec"]["groups"], json!(["system:masters"]));
    assert_eq!(
        created["status"],
        json!({}),
        "a CSR cannot be created with a certificate"
    );
    let mut approved = created.clone();
    approved["status"]["conditions"] = json!([{"type": "Approved", "status": "True"}]);
    approved["spec"]["signerName"] = json!("changed/spec");
    let main = api.ok("PUT", &format!("{base}/c"), JSON, approved.clone());
    assert!(
        main["status"].get("conditions").is_none(),
        "the main resource keeps status"
    );
    assert_eq!(main["spec"]["signerName"], "x/y", "spec is immutable");
    meta::metadata_mut(&mut approved).remove("resourceVersion");
    let via_approval = api.ok("PUT", &format!("{base}/c/approval"), JSON, approved);
    assert_eq!(via_approval["status"]["conditions"][0]["type"], "Approved");
    assert_eq!(via_approval["spec"]["signerName"], "x/y");
}
