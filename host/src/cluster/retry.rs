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

    /// Runs `attempt` (given the deadline every request of it must meet) until it succeeds,
    /// fails for good, or no time is left for another try; then a transient failure becomes
    /// [`ClusterError::Unreachable`] naming the endpoint. The whole call stays within the timeout.
    pub fn run<T>(
        &self,
        backend: &dyn Backend,
        mut attempt: impl FnMut(Instant) -> Result<T, ClusterError>,
    ) -> Result<T, ClusterError> {
        let deadline = Instant::now() + self.timeout;
        let mut pause = FIRST_PAUSE;
        loop {
            let error = match attempt(deadline) {
                Err(e) if matches!(e, ClusterError::Transient { .. }) || e.is_conflict() => e,
                other => return other,
            };
            if Instant::now() + pause >= deadline {
                return Err(match error {
                    ClusterError::Transient { cause, .. } => ClusterError::Unreachable {
                        endpoint: backend.endpoint().unwrap_or("(dry-run)").to_string(),
                        timeout: self.timeout,
                        cause,
                    },
                    conflict => conflict,
                });
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}
