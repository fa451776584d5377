//! The binder, case by case: which subcommands and flags a phase tree becomes, and which phase
//! and flags a command line selects.

use super::*;
use crate::workflow::Phase;

struct Ctx;

/// preflight, certs{all, ca, apiserver}, hidden check, addon{coredns} (no `all`)
fn tree() -> Workflow<Ctx> {
    Workflow::new(vec![
        Phase::new("preflight", "Run checks").flags(&[Flag::Config, Flag::IgnorePreflightErrors]),
        Phase::new("certs", "Certificates")
            .with_all()
            .flags(&[Flag::CertDir])
            .child(Phase::new("ca", "The CA"))
            .child(
                Phase::new("apiserver", "The API server")
                    .flags(&[Flag::CertDir, Flag::ApiserverAdvertiseAddress]),
            ),
        Phase::new("check", "Hidden").hidden(),
        Phase::new("addon", "Addons").child(Phase::new("coredns", "CoreDNS")),
        Phase::new("checks", "Checks with plugins")
            .flags(&[Flag::Config])
            .run(|_: &mut Ctx| Ok(()))
            .child(Phase::new("plugin", "A plugin").flags(&[Flag::Config, Flag::PluginDir])),
    ])
}

fn command() -> Command {
    let workflow = tree();
    PhasedCommand {
        verb: Verb::Join,
        usage_name: "join [api-server-endpoint]",
        about: "about",
        long_about: "long",
        flags: &[Flag::ApiServerEndpoint, Flag::Config, Flag::Token],
        workflow: &workflow,
    }
    .build()
}

fn subcommand<'a>(cmd: &'a Command, path: &[&str]) -> &'a Command {
    path.iter().fold(cmd, |c, name| {
        c.find_subcommand(name)
            .unwrap_or_else(|| panic!("no subcommand {name}"))
    })
}

fn flag_names(cmd: &Command) -> Vec<String> {
    cmd.get_arguments()
        .filter(|a| a.get_id() != "help")
        .map(|a| a.get_id().to_string())
        .collect()
}

#[test]
fn phases_become_subcommands_with_their_flags() {
    let cmd = command();
    // (path under `phase`, the flags it takes in order)
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["preflight"],
            &["config", "ignore-preflight-errors", "output", "rootfs", "v"],
        ),
        (&["certs", "all"], &["cert-dir", "output", "rootfs", "v"]),
        // a child without flags inherits its parent's
        (&["certs", "ca"], &["cert-dir", "output", "rootfs", "v"]),
        (
            &["certs", "apiserver"],
            &[
                "cert-dir",
                "apiserver-advertise-address",
                "output",
                "rootfs",
                "v",
            ],
        ),
        (&["addon", "coredns"], &["output", "rootfs", "v"]),
        // a parent with work of its own runs with its children, so takes their flags
        (
            &["checks"],
            &["config", "plugin-dir", "output", "rootfs", "v"],
        ),
        (
            &["checks", "plugin"],
            &["config", "plugin-dir", "output", "rootfs", "v"],
        ),
    ];
    for (path, flags) in cases {
        let mut full = vec!["phase"];
        full.extend_from_slice(path);
        assert_eq!(flag_names(subcommand(&cmd, &full)), *flags, "{path:?}");
    }
    let phase = subcommand(&cmd, &["phase"]);
    assert!(
        phase.find_subcommand("check").is_none(),
        "hidden phases get no subcommand"
    );
    assert!(
        subcommand(&cmd, &["phase", "addon"])
            .find_subcommand("all")
            .is_none(),
        "`all` only where the phase asks for it"
    );
    assert_eq!(
        flag_names(&cmd),
        ["api-server-endpoint", "config", "token"],
        "the command's own flags"
    );
}

#[test]
fn the_help_has_the_phase_table_without_hidden_phases() {
    let table = phase_table("join [api-server-endpoint]", &tree());
    assert_eq!(
        table,
        "The \"join [api-server-endpoint]\" command executes the following phases:\n```\n\
         preflight     Run checks\n\
         certs         Certificates\n\
         \x20 /ca         The CA\n\
         \x20 /apiserver  The API server\n\
         addon         Addons\n\
         \x20 /coredns    CoreDNS\n\
         checks        Checks with plugins\n\
         \x20 /plugin     A plugin\n```"
    );
}

#[test]
fn command_lines_select_a_phase_and_its_flags() {
    // (arguments after the command, the selected path, a flag value read from the leaf)
    let cases: &[(&[&str], Option<&str>, Option<&str>)] = &[
        (&["--config", "a.yaml"], None, Some("a.yaml")),
        (&["10.0.0.1:6443"], None, None),
        (
            &["phase", "preflight", "--config", "b.yaml"],
            Some("preflight"),
            Some("b.yaml"),
        ),
        (
            &["phase", "certs", "all", "--cert-dir", "/p"],
            Some("certs"),
            None,
        ),
        (
            &["phase", "certs", "apiserver"],
            Some("certs/apiserver"),
            None,
        ),
        (&["phase", "addon", "coredns"], Some("addon/coredns"), None),
        (
            &["phase", "checks", "--config", "c.yaml"],
            Some("checks"),
            Some("c.yaml"),
        ),
        (
            &["phase", "checks", "plugin", "--config", "d.yaml"],
            Some("checks/plugin"),
            Some("d.yaml"),
        ),
    ];
    for (args, path, config) in cases {
        let mut argv = vec!["join"];
        argv.extend_from_slice(args);
        let m = command().try_get_matches_from(&argv).unwrap();
        let (selected_path, leaf) = selected(&m);
        assert_eq!(selected_path.as_deref(), *path, "{args:?}");
        let got = leaf
            .try_get_one::<String>("config")
            .ok()
            .flatten()
            .map(String::as_str);
        assert_eq!(got, *config, "{args:?}");
    }
}

#[test]
fn flags_a_phase_does_not_take_are_usage_errors() {
    for args in [
        &["phase", "certs", "ca", "--config", "x"][..],
        &["phase", "preflight", "--cert-dir", "/p"],
        &["phase", "check"],
        &["phase", "certs"],
    ] {
        let mut argv = vec!["join"];
        argv.extend_from_slice(args);
        assert!(command().try_get_matches_from(&argv).is_err(), "{args:?}");
    }
}
