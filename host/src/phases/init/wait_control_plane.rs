//! `wait-control-plane`: polls the kubelet's `/healthz`, then each control-plane component's
//! health endpoint, at the addresses their own configuration gives (the KubeletConfiguration,
//! the static pod commands), as kubeadm does.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::InitContext;
use crate::cluster::health::{Probe, Prober};
use crate::config::constants::{CONTROLLER_MANAGER_PORT, KUBELET_CONFIG_FILE, SCHEDULER_PORT};
use crate::manifests::manifest_path;
use crate::workflow::{Flag, Phase};

/// kubeadm polls every half second.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The kubelet's `/healthz` is a GET on this machine, so it is asked more often than kubeadm
/// asks: a kubelet that came up just after a look cost a join up to half a second.
const KUBELET_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// The first pause of a poll: what is waited for has often just been started, and comes up
/// within a few milliseconds, so the first looks come sooner and the pauses then double.
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(2);

/// The pauses between the looks of a poll: from [`FIRST_POLL_PAUSE`], doubling, up to the
/// poll's interval.
pub(crate) struct PollPauses {
    next: Duration,
    interval: Duration,
}

impl PollPauses {
    pub(crate) fn up_to(interval: Duration) -> Self {
        PollPauses {
            next: FIRST_POLL_PAUSE.min(interval),
            interval,
        }
    }

    /// The pause before the next look.
    pub(crate) fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 2).min(self.interval);
        pause
    }
}

pub fn wait_control_plane_phase() -> Phase<dyn InitContext> {
    Phase::new("wait-control-plane", "Wait for the control plane to start")
        .flags(&[Flag::Config, Flag::DryRun])
        .run(|ctx| wait_control_plane(ctx))
}

/// A health endpoint to poll.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Check {
    name: &'static str,
    url: String,
}

/// Waits for the kubelet, then each control-plane component (also for a control-plane `join`).
pub(crate) fn wait_control_plane(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let events = ctx.events();
    let components_timeout = ctx
        .cfg()
        .timeouts()
        .control_plane_component_health_check
        .unwrap_or_default()
        .0;
    let components = component_checks(ctx)?;
    wait_for_kubelet(ctx)?;
    if ctx.dry_run() {
        for c in &components {
            events.info(format!(
                "[dryrun] Would wait for {} to be healthy at {}",
                c.name, c.url
            ));
        }
        return Ok(());
    }
    let prober = Prober::new().context("starting the health prober")?;
    events.info(format!(
        "[control-plane-check] Waiting for healthy control plane components. This can take up to {}",
        go_duration(components_timeout)
    ));
    for c in &components {
        events.info(format!(
            "[control-plane-check] Checking {} at {}",
            c.name, c.url
        ));
    }
    // The components come up independently; poll them side by side.
    let results: Vec<(&Check, Result<Duration, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = components
            .iter()
            .map(|c| {
                let prober = &prober;
                s.spawn(move || {
                    let result = wait_healthy(prober, c, components_timeout, POLL_INTERVAL);
                    (c, result)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a health poller panicked"))
            .collect()
    });
    let mut failed = Vec::new();
    for (c, result) in results {
        match result {
            Ok(took) => events.info(format!(
                "[control-plane-check] {} is healthy after {took:?}",
                c.name
            )),
            Err(cause) => failed.push(format!("{} check failed at {}: {cause}", c.name, c.url)),
        }
    }
    if !failed.is_empty() {
        troubleshoot(ctx);
        bail!(
            "control plane components are not healthy after {}: {}",
            go_duration(components_timeout),
            failed.join("; ")
        );
    }
    Ok(())
}

/// kubeadm's `WaitForKubelet` (init's `wait-control-plane`, join's `kubelet-start`): polls the
/// kubelet's `/healthz`, at the address of the KubeletConfiguration on the node, within
/// `timeouts.kubeletHealthCheck`; a healthz port of 0 skips the check.
pub(crate) fn wait_for_kubelet(ctx: &dyn InitContext) -> anyhow::Result<()> {
    let Some(health) = KubeletHealth::start(ctx)? else {
        return Ok(());
    };
    let mut pauses = PollPauses::up_to(KUBELET_POLL_INTERVAL);
    while !health.probe(ctx)? {
        std::thread::sleep(pauses.next_pause());
    }
    Ok(())
}

/// The kubelet's health check under way, probed one look at a time (a join looks for
/// `kubelet.conf` between looks).
pub(crate) struct KubeletHealth {
    prober: Prober,
    check: Check,
    timeout: Duration,
    started: Instant,
}

impl KubeletHealth {
    /// Says what is waited for and starts the clock; `None` when there is nothing to wait for
    /// (a healthz port of 0, or a dry run), after saying so.
    pub(crate) fn start(ctx: &dyn InitContext) -> anyhow::Result<Option<Self>> {
        let events = ctx.events();
        let timeout = ctx
            .cfg()
            .timeouts()
            .kubelet_health_check
            .unwrap_or_default()
            .0;
        let Some(check) = kubelet_check(ctx)? else {
            events.info(
                "[kubelet-check] Skipping the kubelet health check because the healthz port is set to 0",
            );
            return Ok(None);
        };
        if ctx.dry_run() {
            events.info(format!(
                "[dryrun] Would wait for the kubelet to be healthy at {}",
                check.url
            ));
            return Ok(None);
        }
        let prober = Prober::new().context("starting the health prober")?;
        events.info(format!(
            "[kubelet-check] Waiting for a healthy kubelet at {}. This can take up to {}",
            check.url,
            go_duration(timeout)
        ));
        Ok(Some(KubeletHealth {
            prober,
            check,
            timeout,
            started: Instant::now(),
        }))
    }

    /// One look: whether the kubelet is healthy (said once it is); an error once the timeout
    /// has passed without it.
    pub(crate) fn probe(&self, ctx: &dyn InitContext) -> anyhow::Result<bool> {
        let elapsed = self.started.elapsed();
        let left = self.timeout.saturating_sub(elapsed);
        match self.prober.probe(
            &self.check.url,
            left.clamp(Duration::from_millis(1), Duration::from_secs(10)),
        ) {
            Probe::Healthy => {
                ctx.events().info(format!(
                    "[kubelet-check] The kubelet is healthy after {:?}",
                    self.started.elapsed()
                ));
                Ok(true)
            }
            Probe::Unhealthy(_) if self.started.elapsed() < self.timeout => Ok(false),
            Probe::Unhealthy(cause) => {
                troubleshoot(ctx);
                bail!(
                    "the kubelet is not healthy after {}: {cause}",
                    go_duration(self.timeout)
                )
            }
        }
    }
}

/// Polls, pausing up to `interval`, until HTTP 200 or the timeout; the last failure when it
/// never came.
fn wait_healthy(
    prober: &Prober,
    check: &Check,
    timeout: Duration,
    interval: Duration,
) -> Result<Duration, String> {
    let start = Instant::now();
    let mut pauses = PollPauses::up_to(interval);
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        match prober.probe(
            &check.url,
            left.clamp(Duration::from_millis(1), Duration::from_secs(10)),
        ) {
            Probe::Healthy => return Ok(start.elapsed()),
            Probe::Unhealthy(cause) => {
                let pause = pauses.next_pause();
                if start.elapsed() + pause > timeout {
                    return Err(cause);
                }
                std::thread::sleep(pause);
            }
        }
    }
}

fn troubleshoot(ctx: &dyn InitContext) {
    let socket = &ctx.cfg().init.node_registration.cri_socket;
    ctx.events().warn(format!(
        "Unfortunately, an error has occurred, likely caused by:\n\
         \t- The kubelet is not running\n\
         \t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)\n\
         \t- A control plane component may have crashed or exited when started by the container runtime.\n\
         If you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:\n\
         \t- 'systemctl status kubelet'\n\
         \t- 'journalctl -xeu kubelet'\n\
         To troubleshoot, list all containers using your preferred container runtimes CLI.\n\
         \t- 'crictl --runtime-endpoint {socket} ps -a | grep kube | grep -v pause'\n\
         \tOnce you have found the failing container, you can inspect its logs with:\n\
         \t- 'crictl --runtime-endpoint {socket} logs CONTAINERID'"
    ));
}

/// The kubelet's healthz URL from the KubeletConfiguration written to the node (the
/// configuration this run generates in dry-run); `None` when its healthz port is 0 (disabled).
fn kubelet_check(ctx: &dyn InitContext) -> anyhow::Result<Option<Check>> {
    let written = ctx
        .root()
        .read(KUBELET_CONFIG_FILE)
        .with_context(|| format!("reading {KUBELET_CONFIG_FILE}"))?;
    let config: Value = match written {
        Some(bytes) => serde_saphyr::from_slice(&bytes)
            .with_context(|| format!("{KUBELET_CONFIG_FILE} is not a KubeletConfiguration"))?,
        None => Value::Object(crate::manifests::kubelet_configuration(ctx.cfg())),
    };
    let address = config
        .get("healthzBindAddress")
        .and_then(Value::as_str)
        .unwrap_or("127.0.0.1")
        .to_string();
    let port = config
        .get("healthzPort")
        .and_then(Value::as_u64)
        .unwrap_or(u64::from(crate::config::constants::KUBELET_HEALTHZ_PORT));
    Ok((port != 0).then(|| Check {
        name: "kubelet",
        url: format!("http://{}/healthz", host_port(&address, port)),
    }))
}

/// The control-plane components' health URLs, from the commands in their static pod manifests.
fn component_checks(ctx: &dyn InitContext) -> anyhow::Result<Vec<Check>> {
    let components: [(&'static str, &str, &str, u16); 3] = [
        (
            "kube-apiserver",
            "advertise-address",
            "livez",
            ctx.cfg().bind_port(),
        ),
        (
            "kube-controller-manager",
            "bind-address",
            "healthz",
            CONTROLLER_MANAGER_PORT,
        ),
        ("kube-scheduler", "bind-address", "livez", SCHEDULER_PORT),
    ];
    components
        .into_iter()
        .map(|(name, address_flag, path, default_port)| {
            let file = manifest_path(ctx.manifests_dir(), name);
            let command = match ctx.root().read(&file)? {
                Some(bytes) => {
                    pod_command(&bytes).with_context(|| format!("reading the command of {file}"))?
                }
                // In dry-run the manifests live in the dry-run directory; a missing one is an error.
                None => bail!("{file} does not exist; run the control-plane phase first"),
            };
            let default_address = if name == "kube-apiserver" {
                ctx.cfg().advertise_address().to_string()
            } else {
                "127.0.0.1".to_string()
            };
            let address = flag_value(&command, address_flag).unwrap_or(default_address);
            let port = match flag_value(&command, "secure-port") {
                Some(p) => p
                    .parse::<u16>()
                    .with_context(|| format!("{file}: --secure-port={p:?} is not a port"))?,
                None => default_port,
            };
            Ok(Check {
                name,
                url: format!(
                    "https://{}/{path}",
                    host_port(&reachable(&address), u64::from(port))
                ),
            })
        })
        .collect()
}

/// The first container's command of a static pod manifest.
fn pod_command(manifest: &[u8]) -> anyhow::Result<Vec<String>> {
    let pod: Value = serde_saphyr::from_slice(manifest)?;
    let command = pod
        .pointer("/spec/containers/0/command")
        .and_then(Value::as_array)
        .context("no spec.containers[0].command")?;
    Ok(command
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect())
}

/// The value of `--name=value` in a command line (the last one wins, as flags parse).
fn flag_value(command: &[String], name: &str) -> Option<String> {
    let prefix = format!("--{name}=");
    command
        .iter()
        .rev()
        .find_map(|arg| arg.strip_prefix(&prefix).map(str::to_string))
}

/// A wildcard bind address is reached through loopback.
fn reachable(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".into(),
        Ok(ip) if ip.is_unspecified() => "::1".into(),
        _ => address.to_string(),
    }
}

fn host_port(host: &str, port: u64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `4m0s`, as kubeadm prints durations.
fn go_duration(d: Duration) -> String {
    crate::config::GoDuration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_read_from_the_command_last_one_winning() {
        let command: Vec<String> = [
            "kube-apiserver",
            "--advertise-address=10.0.0.5",
            "--secure-port=6443",
            "--secure-port=7443",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            flag_value(&command, "advertise-address").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(flag_value(&command, "secure-port").as_deref(), Some("7443"));
        assert_eq!(flag_value(&command, "bind-address"), None);
    }

    #[test]
    fn wildcard_addresses_are_polled_on_loopback() {
        let cases = [
            ("0.0.0.0", "127.0.0.1"),
            ("::", "::1"),
            ("10.0.0.5", "10.0.0.5"),
            ("fd00::5", "fd00::5"),
        ];
        for (given, polled) in cases {
            assert_eq!(reachable(given), polled);
        }
        assert_eq!(host_port("::1", 10257), "[::1]:10257");
        assert_eq!(host_port("127.0.0.1", 10257), "127.0.0.1:10257");
    }
}
