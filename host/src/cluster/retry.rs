//! Bounded retries of transient API failures, as kubeadm retries its API calls every
//! 500 ms until `timeouts.kubernetesAPICall`.

use std::time::{Duration, Instant};

use super::ClusterError;
use super::backend::Backend;

/// The first pause; pauses double up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, Debug)]
pub struct Retry {
    timeout: Duration,
}

impl Retry {
    pub fn new(timeout: Duration) -> Self {
        Retry { timeout }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the timeout has passed; then a
    /// transient failure becomes [`ClusterError::Unreachable`] naming the endpoint.
    pub fn run<T>(
        &self,
        backend: &dyn Backend,
        mut attempt: impl FnMut() -> Result<T, ClusterError>,
    ) -> Result<T, ClusterError> {
        let deadline = Instant::now() + self.timeout;
        let mut pause = FIRST_PAUSE;
        loop {
            let error = match attempt() {
                Err(e) if matches!(e, ClusterError::Transient { .. }) || e.is_conflict() => e,
                other => return other,
            };
            let now = Instant::now();
            if now >= deadline {
                return Err(match error {
                    ClusterError::Transient { cause, .. } => ClusterError::Unreachable {
                        endpoint: backend.endpoint().unwrap_or("(dry-run)").to_string(),
                        timeout: self.timeout,
                        cause,
                    },
                    conflict => conflict,
                });
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}
