//! `kubeadm-rs join [api-server-endpoint]` and its `phase` subcommands: the phase tree bound to
//! clap by the binder, the run prepared by the library.

use std::sync::Arc;

use clap::{ArgMatches, Command};

use super::binder::{PhasedCommand, selected};
use super::flags::{self, JOIN_FLAGS, Verb};
use super::plugins::plugin_options;
use super::{CliError, reporter};
use crate::phases::join::{JoinOptions, JoinRequest, join_workflow_with, prepare_join};
use crate::plugins::LoadedPlugin;
use crate::system::{LIVE_CONFIG, LiveSystem};

const LONG_ABOUT: &str = "When joining a kubeadm initialized cluster, we need to establish
bidirectional trust. This is split into discovery (having the Node
trust the Kubernetes Control Plane) and TLS bootstrap (having the
Kubernetes Control Plane trust the Node).

There are 2 main schemes for discovery. The first is to use a shared
token along with the IP address of the API server. The second is to
provide a file - a subset of the standard kubeconfig file. This file
can be a local file or downloaded via an HTTPS URL. The forms are
kubeadm-rs join --discovery-token abcdef.1234567890abcdef 1.2.3.4:6443,
kubeadm-rs join --discovery-file path/to/file.conf, or kubeadm-rs join
--discovery-file https://url/file.conf. Only one form can be used. If
the discovery information is loaded from a URL, HTTPS must be used.
Also, in that case the host installed CA bundle is used to verify
the connection.

If you use a shared token for discovery, you should also pass the
--discovery-token-ca-cert-hash flag to validate the public key of the
root certificate authority (CA) presented by the Kubernetes Control Plane.
The value of this flag is specified as \"<hash-type>:<hex-encoded-value>\",
where the supported hash type is \"sha256\". The hash is calculated over
the bytes of the Subject Public Key Info (SPKI) object (as in RFC7469).
This value is available in the output of \"kubeadm-rs init\" or can be
calculated using standard tools. The --discovery-token-ca-cert-hash flag
may be repeated multiple times to allow more than one public key.

If you cannot know the CA public key hash ahead of time, you can pass
the --discovery-token-unsafe-skip-ca-verification flag to disable this
verification. This weakens the kubeadm security model since other nodes
can potentially impersonate the Kubernetes Control Plane.

The TLS bootstrap mechanism is also driven via a shared token. This is
used to temporarily authenticate with the Kubernetes Control Plane to submit a
certificate signing request (CSR) for a locally created key pair. By
default, kubeadm will set up the Kubernetes Control Plane to automatically
approve these signing requests. This token is passed in with the
--tls-bootstrap-token abcdef.1234567890abcdef flag.

Often times the same token is used for both parts. In this case, the
--token flag can be used instead of specifying each token individually.";

/// `join` with its phase tree; preflight `plugins` become phases as the configuration enables them.
pub fn command(plugins: &[Arc<LoadedPlugin>]) -> Command {
    let workflow = join_workflow_with(plugins);
    PhasedCommand {
        verb: Verb::Join,
        usage_name: "join [api-server-endpoint]",
        about: "Run this on any machine you wish to join an existing cluster",
        long_about: LONG_ABOUT,
        flags: &JOIN_FLAGS,
        workflow: &workflow,
    }
    .build()
}

/// Runs `join` (all phases) or `join phase <path>`.
pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    let (phase, m) = selected(m);
    let events = reporter(flags::output(m));
    let request = JoinRequest {
        config: flags::config_path(m),
        overrides: flags::join_overrides(m),
        phase,
        rootfs: flags::rootfs(m),
        options: JoinOptions::default(),
        plugins: plugin_options(m),
    };
    let prepared = prepare_join(
        request,
        Box::new(LIVE_CONFIG),
        Box::new(LiveSystem),
        &events,
    )
    .map_err(|e| CliError::prepare(e, Verb::Join))?;
    // What the run wrote is durable before the command reports success.
    prepared.run(&events)?.sync()?;
    Ok(())
}
