//! The runner's contract, case by case: selection, skipping, ordering, dependencies, failures.

use std::sync::Arc;

use super::*;
use crate::events::{Event, Events, Recorder};

/// A context that records which phases ran, in order.
#[derive(Default)]
struct Trace {
    ran: Vec<String>,
    allow_etcd: bool,
}

fn leaf(name: &'static str, path: &'static str) -> Phase<Trace> {
    Phase::new(name, format!("{name} help")).run(move |t: &mut Trace| {
        t.ran.push(path.to_string());
        Ok(())
    })
}

/// preflight, certs{ca, apiserver (needs ca)}, etcd{local (only with allow_etcd)}, addon{coredns, kube-proxy}
fn tree() -> Workflow<Trace> {
    Workflow::new(vec![
        leaf("preflight", "preflight"),
        Phase::new("certs", "certs help")
            .with_all()
            .child(leaf("ca", "certs/ca"))
            .child(leaf("apiserver", "certs/apiserver").depends_on("certs/ca")),
        Phase::new("etcd", "etcd help")
            .child(leaf("local", "etcd/local").run_if(|t: &Trace| Ok(t.allow_etcd))),
        Phase::new("addon", "addon help")
            .with_all()
            .child(leaf("coredns", "addon/coredns"))
            .child(leaf("kube-proxy", "addon/kube-proxy")),
    ])
}

fn run(filter: Option<&str>, skip: &[&str], allow_etcd: bool) -> Result<Vec<String>, String> {
    let wf = tree();
    let plan = wf
        .plan(&Selection {
            filter: filter.map(String::from),
            skip: skip.iter().map(|s| s.to_string()).collect(),
        })
        .map_err(|e| e.to_string())?;
    let mut trace = Trace {
        allow_etcd,
        ..Default::default()
    };
    wf.execute(&plan, &mut trace, &Events::discard())
        .map_err(|e| e.to_string())?;
    Ok(trace.ran)
}

/// (case name, filter, skip list, the phases that run or the plan error)
type Case = (
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    Result<&'static [&'static str], &'static str>,
);

#[test]
fn selection_and_ordering() {
    const ALL: &[&str] = &[
        "preflight",
        "certs/ca",
        "certs/apiserver",
        "etcd/local",
        "addon/coredns",
        "addon/kube-proxy",
    ];
    let cases: &[Case] = &[
        (
            "no selection runs every phase, parents before children, in order",
            None,
            &[],
            Ok(ALL),
        ),
        (
            "a filter runs only that subtree",
            Some("certs"),
            &[],
            Ok(&["certs/ca", "certs/apiserver"]),
        ),
        (
            "a filter on a leaf runs only the leaf",
            Some("addon/coredns"),
            &[],
            Ok(&["addon/coredns"]),
        ),
        (
            "filters are case-insensitive",
            Some("Certs/CA"),
            &[],
            Ok(&["certs/ca"]),
        ),
        (
            "skipping a parent removes its whole subtree",
            None,
            &["addon"],
            Ok(&["preflight", "certs/ca", "certs/apiserver", "etcd/local"]),
        ),
        (
            "skipping one child keeps its siblings",
            None,
            &["addon/kube-proxy"],
            Ok(&[
                "preflight",
                "certs/ca",
                "certs/apiserver",
                "etcd/local",
                "addon/coredns",
            ]),
        ),
        (
            "skip wins over filter",
            Some("addon"),
            &["addon/coredns"],
            Ok(&["addon/kube-proxy"]),
        ),
        (
            "an unknown skip name is an error",
            None,
            &["cert"],
            Err("invalid phase name: cert"),
        ),
        (
            "an unknown filter is an error",
            Some("nope"),
            &[],
            Err("invalid phase name: nope"),
        ),
        (
            "a skipped dependency is reported before anything runs",
            None,
            &["certs/ca"],
            Err("phase certs/apiserver needs phase certs/ca, which is skipped"),
        ),
        (
            "every problem is reported at once",
            None,
            &["x", "certs/ca", "y"],
            Err(
                "invalid phase name: x; invalid phase name: y; phase certs/apiserver needs phase certs/ca, which is skipped",
            ),
        ),
        (
            "a filtered phase may run alone: its dependency is not skipped, only not selected",
            Some("certs/apiserver"),
            &[],
            Ok(&["certs/apiserver"]),
        ),
    ];
    for (name, filter, skip, want) in cases {
        let got = run(*filter, skip, true);
        let want = want
            .map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .map_err(String::from);
        assert_eq!(got, want, "case: {name}");
    }
}

#[test]
fn run_if_false_skips_the_phase_and_reports_it() {
    let rec = Arc::new(Recorder::default());
    let wf = tree();
    let plan = wf.plan(&Selection::default()).unwrap();
    let mut trace = Trace::default();
    wf.execute(&plan, &mut trace, &Events::new(rec.clone()))
        .unwrap();
    assert!(!trace.ran.contains(&"etcd/local".to_string()));
    assert!(
        rec.take()
            .iter()
            .any(|e| matches!(e, Event::PhaseSkipped { path, .. } if path == "etcd/local"))
    );
}

#[test]
fn a_failure_names_its_phase_and_stops_the_run() {
    let wf: Workflow<Trace> = Workflow::new(vec![
        Phase::new("certs", "")
            .child(Phase::new("ca", "").run(|_: &mut Trace| anyhow::bail!("disk full"))),
        leaf("after", "after"),
    ]);
    let plan = wf.plan(&Selection::default()).unwrap();
    let mut trace = Trace::default();
    let err = wf
        .execute(&plan, &mut trace, &Events::discard())
        .unwrap_err();
    assert_eq!(err.to_string(), "phase certs/ca: disk full");
    assert!(trace.ran.is_empty(), "nothing runs after a failure");
}

#[test]
fn events_pair_every_start_with_a_finish() {
    let rec = Arc::new(Recorder::default());
    let wf = tree();
    let plan = wf.plan(&Selection::default()).unwrap();
    let mut trace = Trace {
        allow_etcd: true,
        ..Default::default()
    };
    wf.execute(&plan, &mut trace, &Events::new(rec.clone()))
        .unwrap();
    let events = rec.take();
    let started: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::PhaseStarted { path } => Some(path.clone()),
            _ => None,
        })
        .collect();
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::PhaseFinished { path, ok: true, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 9);
    let mut a = started.clone();
    let mut b = finished.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(
        finished.last().unwrap(),
        "addon",
        "a parent finishes after its children"
    );
}

#[test]
fn the_json_renderer_writes_one_object_per_line() {
    use crate::cli::render::JsonRenderer;
    let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let events = Events::new(JsonRenderer::new(Shared(buf.clone())));
    let wf = tree();
    let plan = wf.plan(&Selection::default()).unwrap();
    wf.execute(&plan, &mut Trace::default(), &events).unwrap();
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"], "phase_started");
    assert_eq!(first["path"], "preflight");
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
}

#[test]
fn finish_runs_after_the_children_only_when_the_phase_itself_runs() {
    let wf = Workflow::new(vec![
        Phase::new("preflight", "checks")
            .run(|t: &mut Trace| {
                t.ran.push("preflight".into());
                Ok(())
            })
            .finish(|t: &mut Trace| {
                t.ran.push("preflight:verdict".into());
                Ok(())
            })
            .child(leaf("plugin", "preflight/plugin")),
    ]);
    // (filter, skip, what runs)
    let cases: &[(Option<&str>, &[&str], &[&str])] = &[
        (
            None,
            &[],
            &["preflight", "preflight/plugin", "preflight:verdict"],
        ),
        (
            Some("preflight"),
            &[],
            &["preflight", "preflight/plugin", "preflight:verdict"],
        ),
        (
            None,
            &["preflight/plugin"],
            &["preflight", "preflight:verdict"],
        ),
        (Some("preflight/plugin"), &[], &["preflight/plugin"]),
        (None, &["preflight"], &[]),
    ];
    for (filter, skip, expected) in cases {
        let plan = wf
            .plan(&Selection {
                filter: filter.map(String::from),
                skip: skip.iter().map(|s| s.to_string()).collect(),
            })
            .unwrap();
        let mut trace = Trace::default();
        wf.execute(&plan, &mut trace, &Events::discard()).unwrap();
        assert_eq!(trace.ran, *expected, "{filter:?} {skip:?}");
    }
}

#[test]
fn a_failing_child_skips_the_finish() {
    let wf = Workflow::new(vec![
        Phase::new("preflight", "checks")
            .finish(|t: &mut Trace| {
                t.ran.push("verdict".into());
                Ok(())
            })
            .child(Phase::new("plugin", "p").run(|_: &mut Trace| anyhow::bail!("plugin crashed"))),
    ]);
    let plan = wf.plan(&Selection::default()).unwrap();
    let mut trace = Trace::default();
    let err = wf
        .execute(&plan, &mut trace, &Events::discard())
        .unwrap_err();
    assert_eq!(err.to_string(), "phase preflight/plugin: plugin crashed");
    assert!(trace.ran.is_empty());
}
