//! A small synchronous etcd v3 client over the `etcd-client` crate (gRPC, rustls on ring),
//! driven from a runtime of its own. Every call is bounded: each request by
//! [`Timeouts::request`], each operation's retries by [`Timeouts::operation`].

use std::time::{Duration, Instant};

use etcd_client::{Certificate, Client, ConnectOptions, Identity, MemberAddOptions, TlsOptions};
use tokio::runtime::Runtime;

use super::endpoints::endpoints_from_cluster;
use super::member::{Learner, Member, initial_cluster, voting_client_urls};
use super::{EtcdCredentials, EtcdError};
use crate::cluster::Cluster;
use crate::config::constants::ETCD_CLIENT_PORT;
use crate::node::NodeRoot;

/// How long etcd calls may take, with kubeadm's values as the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// One request, connecting included (kubeadm's `etcdTimeout`, 2 s).
    pub request: Duration,
    /// One operation with its retries (`timeouts.etcdAPICall`, 2 min by default).
    pub operation: Duration,
    /// The pause between retries after a failure (kubeadm's 500 ms).
    pub retry_interval: Duration,
    /// The pause while etcd answers that the cluster is not ready for a membership change yet
    /// (a learner catching up, a member connected for less than etcd's 5 s health interval):
    /// that answer comes at once and changes nothing, so it is asked again sooner; a join
    /// spent up to a whole `retry_interval` past the moment etcd was ready.
    pub settle_interval: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            request: Duration::from_secs(2),
            operation: Duration::from_secs(120),
            retry_interval: Duration::from_millis(500),
            settle_interval: Duration::from_millis(100),
        }
    }
}

/// How many times, and how far apart, every member is checked after a join: kubeadm's budget
/// (8 checks 5 s apart, 40 s), looked at every 100 ms, since a new member usually answers within
/// a second and a 5 s pause was most of a control-plane join.
pub const AVAILABLE_RETRIES: u32 = 400;
pub const AVAILABLE_INTERVAL: Duration = Duration::from_millis(100);

/// gRPC status codes that no retry changes (the rest, e.g. etcd's "learner not in sync"
/// FailedPrecondition or Unavailable, are retried as kubeadm retries them).
mod code {
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const NOT_FOUND: i32 = 5;
    pub const ALREADY_EXISTS: i32 = 6;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const FAILED_PRECONDITION: i32 = 9;
    pub const UNIMPLEMENTED: i32 = 12;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
}

/// etcd's messages for [`is_not_ready_yet`] (`rpctypes.ErrLearnerNotReady`, `ErrUnhealthy`).
const LEARNER_NOT_READY: &str =
    "etcdserver: can only promote a learner member which is in sync with leader";
const UNHEALTHY_CLUSTER: &str = "etcdserver: unhealthy cluster";

/// A connection to an etcd cluster through some of its members' client URLs.
pub struct EtcdClient {
    endpoints: Vec<String>,
    credentials: EtcdCredentials,
    timeouts: Timeouts,
    runtime: Runtime,
}

impl std::fmt::Debug for EtcdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdClient")
            .field("endpoints", &self.endpoints)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl EtcdClient {
    /// A client for `endpoints` (`https://<host>:<port>`); nothing is dialled until a call.
    pub fn new(
        endpoints: Vec<String>,
        credentials: EtcdCredentials,
        timeouts: Timeouts,
    ) -> Result<Self, EtcdError> {
        if endpoints.is_empty() {
            return Err(EtcdError::NoEndpoints {
                reason: "no endpoints given".into(),
            });
        }
        if let Some(bad) = endpoints.iter().find(|e| url_host(e).is_none()) {
            return Err(EtcdError::InvalidUrl {
                what: "etcd endpoint",
                value: bad.clone(),
            });
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(EtcdError::Runtime)?;
        Ok(EtcdClient {
            endpoints,
            credentials,
            timeouts,
            runtime,
        })
    }

    /// kubeadm's client for join and reset: the endpoints from the etcd mirror Pods, the
    /// node's `etcd/healthcheck-client` credentials, then the endpoints of every started voting
    /// member (the membership is the authority on where etcd runs).
    pub fn from_cluster(
        cluster: &Cluster,
        root: &NodeRoot,
        cert_dir: &str,
        timeouts: Timeouts,
    ) -> Result<Self, EtcdError> {
        let endpoints = endpoints_from_cluster(cluster, timeouts.operation)?;
        let credentials = EtcdCredentials::healthcheck_client(root, cert_dir)?;
        let mut client = EtcdClient::new(endpoints, credentials, timeouts)?;
        client.sync()?;
        Ok(client)
    }

    /// The client URLs requests go to.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// Replaces the endpoints with the client URLs of the started voting members.
    pub fn sync(&mut self) -> Result<(), EtcdError> {
        let urls = voting_client_urls(&self.members()?);
        if !urls.is_empty() {
            self.endpoints = urls;
        }
        Ok(())
    }

    /// Every member, learners and unstarted ones included.
    pub fn members(&self) -> Result<Vec<Member>, EtcdError> {
        self.run(
            "listing members",
            &self.endpoints,
            self.timeouts.operation,
            async |c| Ok(members_of(c.member_list().await?.members())),
        )
    }

    /// The member whose first peer URL is `peer_url`, if any.
    pub fn member_by_peer_url(&self, peer_url: &str) -> Result<Option<Member>, EtcdError> {
        Ok(self
            .members()?
            .into_iter()
            .find(|m| m.peer_url() == peer_url))
    }

    /// kubeadm's `check-etcd`: every endpoint answers a status request.
    pub fn check_health(&self) -> Result<(), EtcdError> {
        let deadline = Instant::now() + self.timeouts.operation;
        for endpoint in &self.endpoints {
            let budget = deadline.saturating_duration_since(Instant::now());
            self.status(endpoint, budget)?;
        }
        Ok(())
    }

    /// Announces the member `name` at `peer_url` (`https://<advertise>:2380`) as a learner, and
    /// returns its ID and the `--initial-cluster` its etcd must start with. A member that is
    /// already there with this peer URL (an earlier run added it) is taken as it is.
    pub fn add_learner(&self, name: &str, peer_url: &str) -> Result<Learner, EtcdError> {
        if url_host(peer_url).is_none() {
            return Err(EtcdError::InvalidUrl {
                what: "etcd peer URL",
                value: peer_url.to_string(),
            });
        }
        let find = |members: Vec<Member>| {
            let id = members.iter().find(|m| m.peer_url() == peer_url)?.id;
            Some((id, members))
        };
        let (id, members) = match find(self.members()?) {
            Some(found) => found,
            None => {
                let operation = format!("adding learner {name} at {peer_url}");
                self.run(
                    &operation,
                    &self.endpoints,
                    self.timeouts.operation,
                    async |c| {
                        let options = MemberAddOptions::new().with_is_learner();
                        match c.member_add([peer_url.to_string()], Some(options)).await {
                            Ok(added) => match added.member() {
                                Some(member) => Ok((member.id(), members_of(added.member_list()))),
                                None => Err(etcd_client::Error::Internal(
                                    "MemberAdd answered without the new member".into(),
                                )),
                            },
                            // An earlier attempt got through but its answer did not.
                            Err(e) if is_peer_url_taken(&e) => {
                                let members = members_of(c.member_list().await?.members());
                                find(members).ok_or(e)
                            }
                            Err(e) => Err(e),
                        }
                    },
                )?
            }
        };
        Ok(Learner {
            id,
            client_url: client_url_for_peer(peer_url),
            initial_cluster: initial_cluster(&members, name, peer_url),
        })
    }

    /// Promotes the learner to a voting member once its etcd has caught up with the leader,
    /// retrying while etcd says it is not in sync yet; then requests may also go to it. A
    /// member that already votes (an earlier run promoted it) is left as it is.
    pub fn promote(&mut self, learner: &Learner) -> Result<(), EtcdError> {
        let id = learner.id;
        let members = self.members()?;
        let Some(member) = members.iter().find(|m| m.id == id) else {
            return Err(EtcdError::NoSuchMember {
                endpoints: self.endpoints.join(","),
                member: format!("with ID {id:x}"),
            });
        };
        if member.is_learner {
            let operation = format!("promoting learner {id:x}");
            self.run(
                &operation,
                &self.endpoints,
                self.timeouts.operation,
                async |c| c.member_promote(id).await.map(drop),
            )?;
        }
        if !self.endpoints.contains(&learner.client_url) {
            self.endpoints.push(learner.client_url.clone());
        }
        Ok(())
    }

    /// Waits until every endpoint answers a status request, checking up to `retries` times,
    /// `interval` apart (kubeadm's [`AVAILABLE_RETRIES`] and [`AVAILABLE_INTERVAL`]).
    pub fn wait_available(&self, retries: u32, interval: Duration) -> Result<(), EtcdError> {
        let mut last = None;
        for attempt in 0..retries.max(1) {
            if attempt > 0 {
                std::thread::sleep(interval);
            }
            match self
                .endpoints
                .iter()
                .try_for_each(|e| self.status(e, self.timeouts.request))
            {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one attempt ran"))
    }

    /// Removes the member with this ID and returns the members left. A member that is not
    /// there (an earlier run removed it) counts as removed.
    pub fn remove_member(&self, id: u64) -> Result<Vec<Member>, EtcdError> {
        let operation = format!("removing member {id:x}");
        self.run(
            &operation,
            &self.endpoints,
            self.timeouts.operation,
            async |c| match c.member_remove(id).await {
                Ok(left) => Ok(members_of(left.members())),
                Err(e) if grpc_code(&e) == Some(code::NOT_FOUND) => {
                    Ok(members_of(c.member_list().await?.members()))
                }
                Err(e) => Err(e),
            },
        )
    }

    /// One endpoint's status, retried within `budget`.
    fn status(&self, endpoint: &str, budget: Duration) -> Result<(), EtcdError> {
        let endpoints = [endpoint.to_string()];
        self.run("reading the member status", &endpoints, budget, async |c| {
            c.status().await.map(drop)
        })
    }

    /// Runs `attempt` against `endpoints` until it succeeds, fails for good, or `budget` is
    /// spent. Each attempt (connecting included) gets at most [`Timeouts::request`].
    fn run<T>(
        &self,
        operation: &str,
        endpoints: &[String],
        budget: Duration,
        mut attempt: impl AsyncFnMut(&mut Client) -> Result<T, etcd_client::Error>,
    ) -> Result<T, EtcdError> {
        let deadline = Instant::now() + budget;
        let named = endpoints.join(",");
        self.runtime.block_on(async {
            let mut client: Option<Client> = None;
            let mut last_cause: Option<String> = None;
            loop {
                let limit = self
                    .timeouts
                    .request
                    .min(deadline.saturating_duration_since(Instant::now()));
                let answer = tokio::time::timeout(limit, async {
                    if client.is_none() {
                        client = Some(self.connect(endpoints, limit).await?);
                    }
                    attempt(client.as_mut().expect("connected above")).await
                })
                .await;
                let (cause, pause) = match answer {
                    Ok(Ok(value)) => return Ok(value),
                    Ok(Err(e)) if is_permanent(&e) => {
                        return Err(EtcdError::Refused {
                            operation: operation.to_string(),
                            endpoints: named,
                            cause: describe(&e),
                        });
                    }
                    Ok(Err(e)) if is_not_ready_yet(&e) => {
                        (describe(&e), self.timeouts.settle_interval)
                    }
                    Ok(Err(e)) => (describe(&e), self.timeouts.retry_interval),
                    // A refused TLS handshake shows only as no answer: the channel keeps
                    // the endpoint out of rotation and waits.
                    Err(_) => (
                        match last_cause.take() {
                            // An attempt cut short by the budget's end says nothing new:
                            // report what etcd said last.
                            Some(previous) if limit < self.timeouts.request => previous,
                            _ => format!("no answer within {limit:?}"),
                        },
                        self.timeouts.retry_interval,
                    ),
                };
                last_cause = Some(cause.clone());
                if Instant::now() + pause >= deadline {
                    return Err(EtcdError::TimedOut {
                        operation: operation.to_string(),
                        endpoints: named,
                        timeout: budget,
                        cause,
                    });
                }
                tokio::time::sleep(pause).await;
            }
        })
    }

    async fn connect(
        &self,
        endpoints: &[String],
        timeout: Duration,
    ) -> Result<Client, etcd_client::Error> {
        let tls = TlsOptions::new()
            .ca_certificate(Certificate::from_pem(&self.credentials.ca))
            .identity(Identity::from_pem(
                &self.credentials.cert,
                &self.credentials.key,
            ));
        let options = ConnectOptions::new()
            .with_tls(tls)
            .with_connect_timeout(timeout)
            .with_timeout(timeout);
        Client::connect(endpoints, Some(options)).await
    }
}

fn members_of(members: &[etcd_client::Member]) -> Vec<Member> {
    members.iter().map(Member::from_etcd).collect()
}

fn grpc_code(error: &etcd_client::Error) -> Option<i32> {
    match error {
        etcd_client::Error::GRpcStatus(status) => Some(status.code() as i32),
        _ => None,
    }
}

/// etcd's answers that a membership change must wait, which time alone resolves: a learner
/// not caught up with the leader yet (`ErrLearnerNotReady`, FailedPrecondition), and a member
/// that has been connected to every voting member for less than etcd's 5 s health interval
/// (`ErrUnhealthy` of its strict reconfiguration check, Unavailable): the member added just
/// before keeps the next one waiting that long.
pub(super) fn is_not_ready_yet(error: &etcd_client::Error) -> bool {
    let etcd_client::Error::GRpcStatus(status) = error else {
        return false;
    };
    match status.code() as i32 {
        code::FAILED_PRECONDITION => status.message() == LEARNER_NOT_READY,
        code::UNAVAILABLE => status.message() == UNHEALTHY_CLUSTER,
        _ => false,
    }
}

/// etcd's `ErrPeerURLexist` (a FailedPrecondition, like the retried "not in sync").
fn is_peer_url_taken(error: &etcd_client::Error) -> bool {
    matches!(error, etcd_client::Error::GRpcStatus(s)
        if s.code() as i32 == code::FAILED_PRECONDITION && s.message().contains("Peer URLs already exists"))
}

fn is_permanent(error: &etcd_client::Error) -> bool {
    match error {
        etcd_client::Error::InvalidArgs(_) | etcd_client::Error::InvalidUri(_) => true,
        etcd_client::Error::GRpcStatus(_) => {
            matches!(
                grpc_code(error),
                Some(
                    code::INVALID_ARGUMENT
                        | code::NOT_FOUND
                        | code::ALREADY_EXISTS
                        | code::PERMISSION_DENIED
                        | code::UNIMPLEMENTED
                        | code::UNAUTHENTICATED
                )
            ) || is_peer_url_taken(error)
        }
        _ => false,
    }
}

/// The error with its causes, in one line (etcd's own message for gRPC errors).
fn describe(error: &etcd_client::Error) -> String {
    let (mut text, mut source): (String, Option<&dyn std::error::Error>) = match error {
        etcd_client::Error::GRpcStatus(status) => {
            let message = if status.message().is_empty() {
                format!("gRPC status {:?}", status.code())
            } else {
                status.message().to_string()
            };
            (message, std::error::Error::source(status))
        }
        etcd_client::Error::TransportError(e) => (e.to_string(), std::error::Error::source(e)),
        other => (other.to_string(), None),
    };
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The host of an `https://<host>:<port>` URL.
pub(super) fn url_host(url: &str) -> Option<&str> {
    let authority = url.strip_prefix("https://")?.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(rest) => &authority[..rest.find(']')? + 2],
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    (!host.is_empty() && host != "[]").then_some(host)
}

/// `https://<host of the peer URL>:2379`: where the new member serves clients.
pub(super) fn client_url_for_peer(peer_url: &str) -> String {
    let host = url_host(peer_url).unwrap_or_default();
    format!("https://{host}:{ETCD_CLIENT_PORT}")
}
