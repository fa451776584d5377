//! The plugin sandbox, tried with the real example and hostile components: every hostile
//! behaviour ends in its named error, each limit is shown obeyed and broken, and the host
//! (and a good plugin run after, or beside, a hostile one) keeps working.

use crate::plugin_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kubeadm_rs::cluster::NoCluster;
use kubeadm_rs::config::GoDuration;
use kubeadm_rs::config::plugins::{ByteSize, OnFailure, PluginSpec};
use kubeadm_rs::events::{Events, Recorder, Severity};
use kubeadm_rs::plugins::{
    ClusterView, LoadedPlugin, OutputProblem, PluginError, PluginKind, Stage, handle_failure,
};
use plugin_support::{FakeNode, TestHost, err_text, grant_declared, spec, with_params};

fn limits(mut spec: PluginSpec, timeout: Option<&str>, memory: Option<ByteSize>) -> PluginSpec {
    spec.limits.timeout = timeout.map(|t| t.parse::<GoDuration>().expect("duration"));
    spec.limits.memory = memory;
    spec
}

fn hostile_limits(t: &TestHost, params: &[(&str, &str)]) -> LoadedPlugin {
    t.host
        .load(&with_params(
            spec("hostile-limits", "hostile_limits"),
            params,
        ))
        .expect("hostile-limits loads")
}

fn net_sysctls(t: &TestHost) -> LoadedPlugin {
    t.host
        .load(&grant_declared(&t.host, spec("net-sysctls", "net_sysctls")))
        .expect("net-sysctls loads")
}

fn view() -> ClusterView {
    ClusterView {
        cluster_name: "kubernetes".into(),
        kubernetes_version: "v1.34.1".into(),
        pod_subnets: vec!["10.244.0.0/16".into()],
        service_subnets: vec!["10.96.0.0/12".into()],
        dns_domain: "cluster.local".into(),
        control_plane_endpoint: "192.168.0.10:6443".into(),
        image_repository: "registry.k8s.io".into(),
        node_name: "node-1".into(),
    }
}

fn no_cluster() -> Arc<NoCluster> {
    Arc::new(NoCluster("dry-run".into()))
}

// --- the example plugins work -------------------------------------------------------------

#[test]
fn net_sysctls_reports_each_sysctl_that_is_not_1_with_a_remedy() {
    let mut node = FakeNode::default();
    node.sysctls
        .insert("net.ipv4.ip_forward".into(), "0".into());
    let t = TestHost::new(node);
    let plugin = net_sysctls(&t);
    assert_eq!(plugin.phase_path(), "preflight/net-sysctls");
    let findings = plugin.run_preflight().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        findings[0].check_path("net-sysctls"),
        "net-sysctls/ip-forward"
    );
    assert_eq!(findings[0].severity, Severity::Error);
    assert_eq!(findings[0].message, "net.ipv4.ip_forward is 0, want 1");
    assert!(
        findings[0]
            .remedy
            .as_deref()
            .unwrap()
            .contains("sysctl -w net.ipv4.ip_forward=1")
    );
}

#[test]
fn kernel_modules_and_min_resources_pass_on_a_healthy_node_and_fail_on_a_small_one() {
    let t = TestHost::new(FakeNode::default());
    let modules = t
        .host
        .load(&spec("kernel-modules", "kernel_modules"))
        .unwrap();
    assert_eq!(modules.run_preflight().unwrap(), vec![]);
    let resources = t
        .host
        .load(&with_params(
            spec("min-resources", "min_resources"),
            &[("min-cpus", "2")],
        ))
        .unwrap();
    assert_eq!(resources.run_preflight().unwrap(), vec![]);

    let small = TestHost::new(FakeNode {
        cpus: 1,
        modules: vec!["overlay".into()],
        ..FakeNode::default()
    });
    let checks = |plugin: LoadedPlugin| -> Vec<String> {
        plugin
            .run_preflight()
            .unwrap()
            .iter()
            .map(|f| f.check_path(plugin.name()))
            .collect()
    };
    assert_eq!(
        checks(
            small
                .host
                .load(&spec("kernel-modules", "kernel_modules"))
                .unwrap()
        ),
        ["kernel-modules/br-netfilter"]
    );
    assert_eq!(
        checks(
            small
                .host
                .load(&with_params(
                    spec("min-resources", "min_resources"),
                    &[("min-cpus", "2")]
                ))
                .unwrap()
        ),
        ["min-resources/cpus"]
    );
}

#[test]
fn flannel_renders_granted_objects_with_the_pod_subnet() {
    let t = TestHost::new(FakeNode::default());
    let flannel = t
        .host
        .load(&grant_declared(&t.host, spec("flannel", "flannel")))
        .unwrap();
    assert_eq!(flannel.kind(), PluginKind::Addon);
    assert_eq!(flannel.phase_path(), "addon/flannel");
    let manifests = flannel.render_addon(&view(), no_cluster()).unwrap();
    let objects: Vec<String> = manifests
        .iter()
        .flat_map(|m| m.objects.iter().map(|o| o.to_string()))
        .collect();
    for want in [
        "Namespace kube-flannel",
        "ClusterRole flannel",
        "ConfigMap kube-flannel/kube-flannel-cfg",
        "DaemonSet kube-flannel/kube-flannel-ds",
    ] {
        assert!(objects.iter().any(|o| o == want), "{want} in {objects:?}");
    }
    let text: String = manifests.iter().map(|m| m.content.as_str()).collect();
    assert!(
        text.contains("10.244.0.0/16"),
        "the pod subnet is in net-conf.json"
    );
}

#[test]
fn describe_runs_without_grants_and_reports_what_the_plugin_needs() {
    let t = TestHost::new(FakeNode::default());
    let inspection = t
        .host
        .inspect(&plugin_support::wasm("net_sysctls"))
        .unwrap();
    assert_eq!(inspection.kind, PluginKind::Preflight);
    assert_eq!(inspection.wit_version.as_deref(), Some("0.1.0"));
    assert!(
        inspection
            .imports
            .iter()
            .any(|i| i.starts_with("kubeadm-rs:plugin/node@"))
    );
    assert!(
        !inspection
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:sockets"))
    );
    let permissions: Vec<String> = inspection
        .info
        .permissions
        .iter()
        .map(|p| format!("{}: {}", p.permission, p.reason))
        .collect();
    assert!(
        permissions.contains(
            &"sysctl net.ipv4.ip_forward: checks that the node routes IPv4 pod traffic".to_string()
        ),
        "{permissions:?}"
    );
}

// --- the import audit ---------------------------------------------------------------------

#[test]
fn an_ungranted_permission_is_refused_with_the_config_line_that_grants_it() {
    let t = TestHost::new(FakeNode::default());
    let mut s = grant_declared(&t.host, spec("net-sysctls", "net_sysctls"));
    s.grants.sysctls.retain(|k| k != "net.ipv4.ip_forward");
    let (err, text) = err_text(t.host.load(&s));
    assert!(matches!(err, PluginError::PermissionDenied { .. }));
    assert!(
        text.contains(
            "sysctl net.ipv4.ip_forward is not granted (wanted for: checks that the node routes IPv4 pod traffic); \
             add to plugins[net-sysctls].grants: sysctls: [net.ipv4.ip_forward]"
        ),
        "{text}"
    );
}

#[test]
fn foreign_imports_are_refused_before_anything_runs() {
    let t = TestHost::new(FakeNode::default());
    let (err, text) = err_text(
        t.host
            .load(&spec("hostile-foreign-import", "hostile_foreign_import")),
    );
    assert!(
        matches!(err, PluginError::PermissionDenied { .. }),
        "{text}"
    );
    assert!(
        text.contains(
            "kubeadm-rs:plugin/cluster@0.1.0 (a cluster view, which only addon plugins get)"
        ),
        "{text}"
    );
    assert!(text.contains("hostile:foreign/backdoor"), "{text}");
}

#[test]
fn a_plugin_that_links_sockets_is_denied_every_use_of_them() {
    let t = TestHost::new(FakeNode::default());
    let messages = plugin_support::network_attempts(|mode, addr| {
        let s = with_params(
            spec("hostile-net", "hostile_net"),
            &[("mode", mode), ("addr", addr)],
        );
        let findings = t.host.load(&s).unwrap().run_preflight().unwrap();
        assert_eq!(findings.len(), 1, "{mode}: {findings:?}");
        findings[0].message.clone()
    });
    for (mode, message) in messages {
        assert!(message.starts_with("denied:"), "{mode}: {message}");
    }
}

#[test]
fn a_describe_that_lies_gets_denied_and_its_results_are_discarded() {
    let t = TestHost::new(FakeNode::default());
    // The operator grants both keys: a grant still never covers what was not declared.
    let mut s = with_params(
        spec("hostile-liar", "hostile_liar"),
        &[("mode", "undeclared")],
    );
    s.grants.sysctls = vec![
        "net.ipv4.conf.all.forwarding".into(),
        "net.ipv4.ip_forward".into(),
    ];
    let liar = t.host.load(&s).unwrap();
    let (err, text) = err_text(liar.run_preflight());
    assert!(matches!(err, PluginError::PermissionDenied { .. }));
    assert!(
        text.contains("the plugin used sysctl net.ipv4.ip_forward, which describe did not declare"),
        "{text}"
    );

    s.parameters.set("mode", "declared");
    let honest = t.host.load(&s).unwrap().run_preflight().unwrap();
    assert_eq!(
        honest[0].message,
        "allowed: net.ipv4.conf.all.forwarding = 1"
    );
}

#[test]
fn parameters_the_plugin_does_not_know_are_refused() {
    let t = TestHost::new(FakeNode::default());
    let s = with_params(spec("min-resources", "min_resources"), &[("min-cpu", "2")]);
    let (err, text) = err_text(t.host.load(&s));
    assert!(matches!(err, PluginError::UnknownParameters { .. }));
    assert!(text.contains("parameter min-cpu not understood"), "{text}");
    assert!(text.contains("min-cpus"), "{text}");
}

#[test]
fn a_plugin_enabled_under_another_name_is_refused() {
    let t = TestHost::new(FakeNode::default());
    let (_, text) = err_text(t.host.load(&spec("sysctls", "net_sysctls")));
    assert!(
        text.contains("describe names the plugin \"net-sysctls\""),
        "{text}"
    );
}

// --- files, environment ------------------------------------------------------------------

fn hostile_fs(t: &TestHost, mode: &str) -> String {
    let s = grant_declared(
        &t.host,
        with_params(spec("hostile-fs", "hostile_fs"), &[("mode", mode)]),
    );
    let findings = t.host.load(&s).unwrap().run_preflight().unwrap();
    assert_eq!(findings.len(), 1, "{mode}: {findings:?}");
    findings[0].message.clone()
}

#[test]
fn files_outside_the_granted_directory_cannot_be_reached() {
    let t = TestHost::new(FakeNode::default());
    let granted = t.files.path().join("srv/hostile-fs");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::write(granted.join("granted.txt"), "granted content").unwrap();
    let secret = t.files.path().join("secret.txt");
    std::fs::write(&secret, "outside the grant").unwrap();
    std::os::unix::fs::symlink(&secret, granted.join("escape")).unwrap();

    assert_eq!(hostile_fs(&t, "read-granted"), "allowed: granted content");
    for mode in ["read-outside", "dotdot", "symlink", "write", "list-root"] {
        let message = hostile_fs(&t, mode);
        assert!(message.starts_with("denied:"), "{mode}: {message}");
    }
    assert!(
        !granted.join("pwned").exists(),
        "the write attempt left nothing behind"
    );
}

#[test]
fn the_environment_arguments_and_stdin_are_empty() {
    let t = TestHost::new(FakeNode::default());
    let findings = t
        .host
        .load(&spec("hostile-env", "hostile_env"))
        .unwrap()
        .run_preflight()
        .unwrap();
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["env: none", "args: none", "cwd: /", "stdin: empty"]
    );
}

// --- time ---------------------------------------------------------------------------------

/// Runs `plugin` and returns the error and how long it took.
fn timed(plugin: &LoadedPlugin) -> (PluginError, Duration) {
    let start = Instant::now();
    let result = plugin.run_preflight();
    let took = start.elapsed();
    (err_text(result).0, took)
}

#[test]
fn an_endless_loop_is_stopped_within_twice_its_limit_and_the_next_plugin_runs() {
    let t = TestHost::new(FakeNode::default());
    let looping = t
        .host
        .load(&limits(
            with_params(
                spec("hostile-limits", "hostile_limits"),
                &[("mode", "loop")],
            ),
            Some("300ms"),
            None,
        ))
        .unwrap();
    for _ in 0..2 {
        // Twice: the deadline is set again for every call.
        let (err, took) = timed(&looping);
        assert!(matches!(err, PluginError::TimedOut { .. }), "{err}");
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_millis(600),
            "{took:?}"
        );
        assert_eq!(
            err.to_string(),
            "plugin hostile-limits: run timed out after 300ms (limits.timeout)"
        );
    }
    assert_eq!(net_sysctls(&t).run_preflight().unwrap(), vec![]);
}

#[test]
fn time_in_host_calls_counts_against_the_limit() {
    let t = TestHost::new(FakeNode::default());
    for (mode, secs) in [("sleep", "3600"), ("host-call-spin", "0")] {
        let plugin = t
            .host
            .load(&limits(
                with_params(
                    spec("hostile-limits", "hostile_limits"),
                    &[("mode", mode), ("secs", secs)],
                ),
                Some("300ms"),
                None,
            ))
            .unwrap();
        let (err, took) = timed(&plugin);
        assert!(matches!(err, PluginError::TimedOut { .. }), "{mode}: {err}");
        assert!(took < Duration::from_millis(600), "{mode}: {took:?}");
    }
}

#[test]
fn a_plugin_that_sleeps_within_its_limit_finishes() {
    let t = TestHost::new(FakeNode::default());
    let plugin = t
        .host
        .load(&limits(
            with_params(
                spec("hostile-limits", "hostile_limits"),
                &[("mode", "sleep"), ("secs", "1")],
            ),
            Some("3s"),
            None,
        ))
        .unwrap();
    let findings = plugin.run_preflight().unwrap();
    assert_eq!(findings[0].message, "allowed: slept to the end");
}

// --- memory and traps ---------------------------------------------------------------------

#[test]
fn memory_past_the_limit_ends_the_call_and_memory_within_it_does_not() {
    let t = TestHost::new(FakeNode::default());
    let bomb = t
        .host
        .load(&limits(
            with_params(
                spec("hostile-limits", "hostile_limits"),
                &[("mode", "memory-bomb")],
            ),
            None,
            Some(ByteSize::mib(16)),
        ))
        .unwrap();
    let (err, text) = err_text(bomb.run_preflight());
    assert!(matches!(err, PluginError::OutOfMemory { .. }), "{text}");
    assert!(
        text.starts_with(
            "plugin hostile-limits: run ran out of memory (limit 16Mi, limits.memory)"
        ),
        "{text}"
    );

    // A 16 MiB message fits in 64Mi of memory (and is then refused as output); in 16Mi it does not.
    let message = |memory| {
        t.host
            .load(&limits(
                with_params(
                    spec("hostile-limits", "hostile_limits"),
                    &[("mode", "huge-message"), ("mb", "16")],
                ),
                None,
                Some(ByteSize::mib(memory)),
            ))
            .unwrap()
            .run_preflight()
    };
    assert!(matches!(message(16), Err(PluginError::OutOfMemory { .. })));
    assert!(matches!(
        message(64),
        Err(PluginError::BadOutput {
            problem: OutputProblem::FindingsTooLarge { .. },
            ..
        })
    ));
}

#[test]
fn traps_are_named_and_carry_the_plugins_message() {
    let t = TestHost::new(FakeNode::default());
    let cases = [
        (
            "panic",
            "unreachable code (a panic or abort): thread '<unnamed>'",
            Some("hostile-limits panicked on purpose"),
        ),
        ("trap", "unreachable code (a panic or abort)", None),
        (
            "recursion",
            "out-of-bounds memory access (the plugin's stack overflowed",
            None,
        ),
        // WASI 0.2 passes only success or failure: exit(3) arrives as status 1.
        ("exit", "the plugin exited with status 1", None),
    ];
    for (mode, trap, message) in cases {
        let (err, text) = err_text(hostile_limits(&t, &[("mode", mode)]).run_preflight());
        assert!(matches!(err, PluginError::Trapped { .. }), "{mode}: {text}");
        assert!(
            text.starts_with(&format!("plugin hostile-limits: run trapped: {trap}")),
            "{mode}: {text}"
        );
        if let Some(message) = message {
            assert!(text.contains(message), "{mode}: {text}");
        }
    }
}

// --- output -------------------------------------------------------------------------------

#[test]
fn floods_of_stdout_stderr_and_log_are_cut_at_their_caps() {
    let t = TestHost::new(FakeNode::default());
    for (mode, stream) in [("stdout-flood", "stdout"), ("stderr-flood", "stderr")] {
        let findings = hostile_limits(&t, &[("mode", mode), ("mb", "4")])
            .run_preflight()
            .unwrap();
        assert_eq!(findings, vec![]);
        let messages = t.messages();
        let prefix = format!("hostile-limits ({stream}): ");
        let kept: Vec<&str> = messages
            .iter()
            .filter_map(|m| m.strip_prefix(&prefix))
            .collect();
        let kept_bytes: usize = kept.iter().map(|line| line.len() + 1).sum();
        assert!(
            kept_bytes.abs_diff(kubeadm_rs::plugins::CAPTURE_LIMIT) <= 1
                && kept.iter().all(|l| l.starts_with("flood")),
            "{mode}: {kept_bytes} bytes kept"
        );
        assert!(
            messages.contains(&format!(
                "hostile-limits: {stream} truncated at 65536 bytes; the rest was discarded"
            )),
            "{mode}"
        );
    }
    let findings = hostile_limits(&t, &[("mode", "log-flood"), ("count", "20000")])
        .run_preflight()
        .unwrap();
    assert_eq!(findings, vec![]);
    let messages = t.messages();
    let kept = messages
        .iter()
        .filter(|m| m.starts_with("hostile-limits: flooding the log"))
        .count();
    assert!(kept > 100 && kept < 20000, "{kept} log records kept");
    assert!(
        messages.contains(&format!(
            "hostile-limits: {} more log records dropped (over 65536 bytes)",
            20000 - kept
        )),
        "{messages:?}"
    );
}

#[test]
fn terminal_escapes_never_reach_the_operator() {
    let t = TestHost::new(FakeNode::default());
    let findings = hostile_limits(&t, &[("mode", "ansi")])
        .run_preflight()
        .unwrap();
    let messages = t.messages();
    let all: Vec<&str> = messages
        .iter()
        .map(String::as_str)
        .chain(
            findings
                .iter()
                .flat_map(|f| [f.message.as_str(), f.remedy.as_deref().unwrap_or("")]),
        )
        .collect();
    for text in &all {
        assert!(
            !text.chars().any(|c| c.is_control()),
            "control character in {text:?}"
        );
    }
    assert!(
        findings[0].message.starts_with("finding \\u{1b}[2J"),
        "{}",
        findings[0].message
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("hostile-limits: log \\u{1b}[2J")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("hostile-limits (stderr): stderr \\u{1b}")),
        "{messages:?}"
    );
}

#[test]
fn findings_over_the_caps_are_bad_output() {
    let t = TestHost::new(FakeNode::default());
    let (_, text) =
        err_text(hostile_limits(&t, &[("mode", "huge-findings"), ("mb", "1")]).run_preflight());
    assert!(
        text.contains("bad output from run: 1024 findings, more than the 1000 allowed"),
        "{text}"
    );
    let (_, text) =
        err_text(hostile_limits(&t, &[("mode", "huge-message"), ("mb", "2")]).run_preflight());
    assert!(
        text.contains("bad output from run: 2097159 bytes of findings, more than the 1Mi allowed"),
        "{text}"
    );
}

// --- addons -------------------------------------------------------------------------------

fn hostile_addon(
    t: &TestHost,
    params: &[(&str, &str)],
    max_objects: Option<u32>,
) -> Result<Vec<String>, PluginError> {
    let mut s = grant_declared(
        &t.host,
        with_params(spec("hostile-addon", "hostile_addon"), params),
    );
    s.limits.max_objects = max_objects;
    s.limits.memory = Some(ByteSize::mib(256));
    let manifests = t
        .host
        .load(&s)
        .unwrap()
        .render_addon(&view(), no_cluster())?;
    Ok(manifests
        .iter()
        .flat_map(|m| m.objects.iter().map(|o| o.to_string()))
        .collect())
}

#[test]
fn addon_output_must_be_granted_kubernetes_objects() {
    let t = TestHost::new(FakeNode::default());
    assert_eq!(
        hostile_addon(&t, &[("mode", "valid")], None).unwrap(),
        ["ConfigMap hostile/ok"]
    );
    assert_eq!(
        hostile_addon(&t, &[("mode", "read-declared")], None).unwrap(),
        ["ConfigMap hostile/seen"]
    );
    let cases = [
        (
            "invalid-yaml",
            "bad output from render: manifest \"hostile\": invalid YAML",
        ),
        (
            "not-an-object",
            "bad output from render: manifest \"hostile\": a document is not a mapping",
        ),
        (
            "no-kind",
            "bad output from render: manifest \"hostile\": an object has no apiVersion",
        ),
        (
            "ungranted-kind",
            "permission denied: manifest \"hostile\" renders ClusterRoleBinding hostile-admin",
        ),
        (
            "ungranted-namespace",
            "permission denied: manifest \"hostile\" renders ConfigMap kube-system/hostile",
        ),
        (
            "hidden-in-stream",
            "permission denied: manifest \"hostile\" renders Secret hostile/hostile",
        ),
        (
            "read-undeclared",
            "the plugin used cluster-read Secret in namespace kube-system, which describe did not declare",
        ),
    ];
    for (mode, want) in cases {
        let (_, text) = err_text(hostile_addon(&t, &[("mode", mode)], None));
        assert!(text.contains(want), "{mode}: {text}");
    }
}

#[test]
fn the_object_count_and_size_caps_hold_for_floods_of_objects_and_manifests() {
    let t = TestHost::new(FakeNode::default());
    assert_eq!(
        hostile_addon(&t, &[("mode", "flood-objects"), ("count", "20")], Some(20))
            .unwrap()
            .len(),
        20
    );
    for mode in ["flood-objects", "flood-manifests"] {
        let (err, text) = err_text(hostile_addon(&t, &[("mode", mode)], None));
        assert!(
            matches!(
                err,
                PluginError::BadOutput {
                    problem: OutputProblem::TooManyObjects {
                        count: 100_000,
                        limit: 1000
                    },
                    ..
                }
            ),
            "{mode}: {text}"
        );
    }
    let (_, text) = err_text(hostile_addon(
        &t,
        &[("mode", "flood-objects"), ("count", "21")],
        Some(20),
    ));
    assert!(
        text.contains("21 objects, more than the 20 allowed (limits.maxObjects)"),
        "{text}"
    );
    let (_, text) = err_text(hostile_addon(&t, &[("mode", "huge"), ("mb", "10")], None));
    assert!(
        text.contains("bytes of manifests, more than the 8Mi allowed (limits.maxOutputBytes)"),
        "{text}"
    );
}

// --- the host goes on ---------------------------------------------------------------------

#[test]
fn in_one_batch_hostile_plugins_fail_by_name_and_the_good_ones_still_report() {
    let mut node = FakeNode::default();
    node.sysctls
        .insert("net.ipv4.ip_forward".into(), "0".into());
    let t = TestHost::new(node);
    let fast = |mode: &str| {
        let mut s = with_params(spec("hostile-limits", "hostile_limits"), &[("mode", mode)]);
        s.limits.timeout = Some("200ms".parse().unwrap());
        s.limits.memory = Some(ByteSize::mib(16));
        s
    };
    let mut ignored = fast("panic");
    ignored.on_failure = OnFailure::Ignore;
    let mut warned = fast("memory-bomb");
    warned.on_failure = OnFailure::Warn;
    let batch = vec![
        fast("loop"),
        grant_declared(&t.host, spec("net-sysctls", "net_sysctls")),
        warned,
        spec("hostile-foreign-import", "hostile_foreign_import"),
        ignored,
        fast("recursion"),
        spec("kernel-modules", "kernel_modules"),
    ];
    let recorder = Arc::new(Recorder::default());
    let events = Events::new(recorder.clone());
    let mut reported = Vec::new();
    let mut failed = Vec::new();
    for s in &batch {
        let result = t.host.load(s).and_then(|p| p.run_preflight());
        match result {
            Ok(findings) => reported.extend(findings.iter().map(|f| f.check_path(&s.name))),
            Err(e) => {
                if let Err(e) = handle_failure(s.on_failure, Stage::Run, e, &events) {
                    failed.push(e);
                }
            }
        }
    }
    assert_eq!(reported, ["net-sysctls/ip-forward"]);
    let kinds: Vec<&str> = failed
        .iter()
        .map(|e| match e {
            PluginError::TimedOut { .. } => "timed out",
            PluginError::PermissionDenied { .. } => "permission denied",
            PluginError::Trapped { .. } => "trapped",
            other => panic!("unexpected {other}"),
        })
        .collect();
    assert_eq!(kinds, ["timed out", "permission denied", "trapped"]);
    let notices: Vec<String> = recorder
        .take()
        .into_iter()
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(
        notices[0].contains("Warning")
            && notices[0].contains("ran out of memory")
            && notices[0].contains("(onFailure: warn)"),
        "{notices:?}"
    );
    assert!(
        notices[1].contains("Info")
            && notices[1].contains("panicked on purpose")
            && notices[1].contains("(onFailure: ignore)"),
        "{notices:?}"
    );
}

// --- what plugin strings and objects may do to a terminal, a URL or the host ----------------

/// Whether `text` holds a character that could change what a terminal shows unseen.
fn hidden(text: &str) -> bool {
    text.chars()
        .any(|c| c != '\n' && kubeadm_rs::plugins::is_hidden_control(c))
}

fn hostile_special(
    t: &TestHost,
    path: &str,
) -> (
    Result<Vec<kubeadm_rs::plugins::Finding>, PluginError>,
    Duration,
) {
    let s = limits(
        grant_declared(
            &t.host,
            with_params(
                spec("hostile-special", "hostile_special"),
                &[("path", path)],
            ),
        ),
        Some("2s"),
        None,
    );
    let plugin = t.host.load(&s).expect("hostile-special loads");
    let start = Instant::now();
    let result = plugin.run_preflight();
    (result, start.elapsed())
}

#[test]
fn fifos_sockets_and_devices_in_a_granted_directory_are_refused_without_blocking() {
    let t = TestHost::new(FakeNode::default());
    let dir = t.files.path().join("tmp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("plain"), "plain file").unwrap();
    let made = |args: &[&str]| {
        let status = std::process::Command::new(args[0])
            .args(&args[1..])
            .status()
            .unwrap();
        assert!(status.success(), "{args:?}");
    };
    made(&["mkfifo", dir.join("fifo").to_str().unwrap()]);
    made(&["mknod", dir.join("null").to_str().unwrap(), "c", "1", "3"]);
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("socket")).unwrap();

    let (plain, _) = hostile_special(&t, "/tmp/plain");
    assert_eq!(plain.unwrap()[0].message, "allowed: read 10 bytes");
    for special in ["fifo", "null", "socket"] {
        // Without the refusal the FIFO's open blocks until its 2s limit, and the thread for good.
        let (result, took) = hostile_special(&t, &format!("/tmp/{special}"));
        let findings = result.unwrap_or_else(|e| panic!("{special}: {e}"));
        assert!(
            findings[0].message.starts_with("denied:"),
            "{special}: {findings:?}"
        );
        assert!(took < Duration::from_secs(2), "{special}: {took:?}");
    }
}

#[test]
fn a_fifo_swapped_in_after_the_type_check_never_blocks_the_host() {
    let t = TestHost::new(FakeNode::default());
    let dir = t.files.path().join("tmp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("swapped"), "plain file").unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let s = limits(
        grant_declared(
            &t.host,
            with_params(
                spec("hostile-special", "hostile_special"),
                &[("path", "/tmp/swapped"), ("times", "3000")],
            ),
        ),
        Some("10s"),
        None,
    );
    let plugin = t.host.load(&s).expect("hostile-special loads");
    // The path flips between the file and a FIFO with no writer while the plugin reads it,
    // so some reads find a FIFO after the host looked at the path: that open must not wait.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (stop, dir) = (stop.clone(), dir.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut swaps = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && start.elapsed() < Duration::from_secs(60)
            {
                rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    dir.join("swapped"),
                    rustix::fs::CWD,
                    dir.join("fifo"),
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .unwrap();
                swaps += 1;
            }
            swaps
        })
    };
    let result = plugin.run_preflight();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    let findings = result.unwrap_or_else(|e| panic!("after {swaps} swaps: {e}"));
    assert!(
        findings[0].message.starts_with("read ") && findings[0].message.ends_with(" of 3000 times"),
        "{findings:?}"
    );
    assert!(swaps > 0);
}

/// A procfs mount, taken down again when dropped.
struct ProcMount(std::path::PathBuf);

impl Drop for ProcMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn no_read_path_reaches_proc_sys_dev_or_a_directory_holding_a_proc_mount() {
    // The node's real root: with a /proc grant the plugin would read kubeadm-rs's environment.
    let events = Arc::new(Recorder::default());
    let mut config = plugin_support::config(
        &plugin_support::shared_cache(),
        FakeNode::default(),
        &events,
        std::path::Path::new("/"),
    );
    config.allow_unsigned = true;
    let host = kubeadm_rs::plugins::PluginHost::new(config).unwrap();
    let s = grant_declared(&host, spec("hostile-proc", "hostile_proc"));
    let (err, text) = err_text(host.load(&s));
    assert!(
        matches!(err, PluginError::PermissionDenied { .. }),
        "{text}"
    );
    for path in ["/proc", "/"] {
        assert!(
            text.contains(&format!("read-path {path} is never granted: ")),
            "{path}: {text}"
        );
    }
    assert!(text.contains("/proc/self is kubeadm-rs itself"), "{text}");

    // Any other directory is refused when a proc file system is mounted below it.
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let proc = root.path().join("tmp/proc");
    std::fs::create_dir_all(&proc).unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "proc", "proc"])
        .arg(&proc)
        .status()
        .unwrap();
    assert!(status.success(), "mounting proc at {}", proc.display());
    let _mounted = ProcMount(proc.clone());
    let mut config = plugin_support::config(
        &plugin_support::shared_cache(),
        FakeNode::default(),
        &events,
        root.path(),
    );
    config.allow_unsigned = true;
    let host = kubeadm_rs::plugins::PluginHost::new(config).unwrap();
    let s = grant_declared(
        &host,
        with_params(
            spec("hostile-special", "hostile_special"),
            &[("path", "/tmp/proc/self/environ")],
        ),
    );
    let (_, text) = err_text(host.load(&s));
    assert!(
        text.contains(&format!(
            "read-path /tmp is never granted: a proc file system is mounted at {}",
            proc.canonicalize().unwrap().display()
        )),
        "{text}"
    );
}

#[test]
fn describe_strings_reach_no_terminal_with_their_controls() {
    let t = TestHost::new(FakeNode::default());
    let info = t
        .host
        .inspect(&plugin_support::wasm("hostile_describe"))
        .unwrap()
        .info;
    assert_eq!(info.version, "1.0.0+\\u{1b}]0;trusted\\u{7}\\u{200b}");
    let mut texts = vec![info.version.clone()];
    texts.extend(info.checks.iter().map(|c| c.description.clone()));
    texts.extend(
        info.parameters
            .iter()
            .flat_map(|p| [p.description.clone(), p.default.clone().unwrap_or_default()]),
    );
    texts.extend(
        info.permissions
            .iter()
            .map(|p| format!("{}: {}", p.permission, p.reason)),
    );
    for text in &texts {
        assert!(!hidden(text), "hidden control in {text:?}");
    }
    assert!(
        texts.contains(
            &"read-path /: nothing to see\\u{1b}[1A\\u{1b}[2K\\u{d}\\u{9b}2K".to_string()
        ),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"harmless\\u{d}\\u{1b}[2K\\u{202e}gnihton\\u{202c} \\u{2066}x\\u{2069}\\u{e0041}\\u{61c}".to_string()),
        "{texts:?}"
    );
    // The permission error quotes the reason: neutralised there too.
    let (_, text) = err_text(t.host.load(&spec("hostile-describe", "hostile_describe")));
    assert!(!hidden(&text), "{text:?}");
    assert!(
        text.contains("(wanted for: nothing to see\\u{1b}[1A"),
        "{text}"
    );
}

#[test]
fn dry_run_shows_addon_objects_as_parsed_with_controls_escaped() {
    let t = TestHost::new(FakeNode::default());
    let s = grant_declared(
        &t.host,
        with_params(
            spec("hostile-addon", "hostile_addon"),
            &[("mode", "hidden")],
        ),
    );
    let manifests = t
        .host
        .load(&s)
        .unwrap()
        .render_addon(&view(), no_cluster())
        .unwrap();
    let object = &manifests[0].objects[0].value;
    assert_eq!(object["data"]["hostPID"], "true");
    assert_eq!(object["data"]["privileged"], "\u{202e}eurt\u{202c}");
    let shown = &manifests[0].content;
    assert!(!hidden(shown), "{shown}");
    assert!(
        !shown.contains("nothing here"),
        "the comment is not part of the object: {shown}"
    );
    assert!(shown.contains("hostPID"), "{shown}");
    assert!(shown.contains("\\u202E"), "{shown}");
    // What is shown parses back to exactly what would be applied.
    let reparsed: serde_json::Value = serde_saphyr::from_str(shown).unwrap();
    assert_eq!(&reparsed, object);
}

#[test]
fn object_names_namespaces_and_api_versions_are_checked_before_any_request() {
    let t = TestHost::new(FakeNode::default());
    let cases = [
        (
            "bad-name",
            "ConfigMap \"x?dryRun=All#\": metadata.name must be a lowercase RFC 1123 subdomain",
        ),
        (
            "traversal-name",
            "ConfigMap \"../../../apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x\": metadata.name must be",
        ),
        (
            "no-namespace",
            "ConfigMap nowhere: metadata.namespace is missing; ConfigMap is a namespaced kind",
        ),
        (
            "non-string-namespace",
            "ConfigMap listed: metadata.namespace is not a string",
        ),
        (
            "wrong-group",
            "ConfigMap: apiVersion \"apps/v1\" is outside the kind's API group; ConfigMap is in the core group",
        ),
        ("read-traversal", "render failed: refused: "),
    ];
    for (mode, want) in cases {
        let (_, text) = err_text(hostile_addon(&t, &[("mode", mode)], None));
        assert!(text.contains(want), "{mode}: {text}");
    }
    let (_, text) = err_text(hostile_addon(&t, &[("mode", "read-traversal")], None));
    assert!(
        text.contains("is not a Kubernetes object name; nothing was requested"),
        "{text}"
    );
}

#[test]
fn a_huge_error_message_is_cut_to_one_short_line_and_a_fuel_trap_is_one_line() {
    let t = TestHost::new(FakeNode::default());
    let mut s = with_params(
        spec("hostile-limits", "hostile_limits"),
        &[("mode", "huge-error"), ("mb", "20")],
    );
    s.limits.memory = Some(ByteSize::mib(128));
    let (err, text) = err_text(t.host.load(&s).unwrap().run_preflight());
    assert!(matches!(err, PluginError::Failed { .. }), "{text}");
    assert!(text.len() < 2048, "{} bytes", text.len());
    assert!(!hidden(&text), "{text:?}");
    assert!(
        text.starts_with("plugin hostile-limits: run failed: \\u{1b}[2J"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("… ({} bytes in all)", 28 + 20 * (1 << 20))),
        "{text}"
    );

    let mut s = with_params(
        spec("hostile-limits", "hostile_limits"),
        &[("mode", "hostcall-fuel"), ("mb", "130")],
    );
    s.limits.memory = Some(ByteSize::mib(512));
    let (err, text) = err_text(t.host.load(&s).unwrap().run_preflight());
    assert!(matches!(err, PluginError::Trapped { .. }), "{text}");
    assert_eq!(
        text,
        "plugin hostile-limits: run trapped: too much data is being copied between the host and the guest: fuel allocated for hostcalls has been exhausted"
    );
}
