//! The HTTPS front: TLS with optional client certificates, then per request: authenticate,
//! authorise, and serve a non-resource path or hand the resource request to the REST layer.

// The test API server's request log goes to stderr, as kube-apiserver's does.
#![allow(clippy::print_stderr)]

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::auth::{UserInfo, authenticate};
use super::discovery;
use super::rbac::authorize;
use super::request::{Target, classify, parse_query};
use super::rest::{self, Call};
use super::status::ApiError;
use super::store::Store;
use super::table;
use super::watch;

/// kube-apiserver's limit on a request body.
const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

pub type Body = BoxBody<Bytes, Infallible>;

/// What every connection shares.
pub struct Shared {
    pub store: Store,
    /// `host:port` as clients reach it, for `/api`'s serverAddressByClientCIDRs.
    pub server_address: String,
    pub log_requests: bool,
}

/// Accepts connections until the task is dropped.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            // A failed handshake (a client certificate from another CA) just ends the connection.
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let cert_user = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|cert| UserInfo::from_client_cert(cert));
            let service = service_fn(move |req| {
                let shared = shared.clone();
                let cert_user = cert_user.clone();
                async move { Ok::<_, Infallible>(handle(&shared, cert_user.as_ref(), req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

pub fn full(code: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(code)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(body.into()).boxed())
        .expect("a valid status code and header")
}

pub fn json(code: u16, value: &Value) -> Response<Body> {
    full(
        code,
        "application/json",
        serde_json::to_vec(value).expect("JSON values serialize"),
    )
}

fn error(e: &ApiError) -> Response<Body> {
    json(e.code(), &e.body())
}

/// Serves one request; with `log_requests`, one stderr line per request (method, path, user,
/// status: never a header, query or body, which can carry tokens and keys).
async fn handle(
    shared: &Arc<Shared>,
    cert_user: Option<&UserInfo>,
    req: Request<Incoming>,
) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (response, user) = answer(shared, cert_user, req).await;
    if shared.log_requests {
        let who = user.map_or_else(|| "(unauthenticated)".to_string(), |u| u.name);
        eprintln!("{method} {path} {who} {}", response.status().as_u16());
    }
    response
}

async fn answer(
    shared: &Arc<Shared>,
    cert_user: Option<&UserInfo>,
    req: Request<Incoming>,
) -> (Response<Body>, Option<UserInfo>) {
    let (parts, body) = req.into_parts();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
    };
    let user = match authenticate(
        cert_user,
        header(AUTHORIZATION),
        &shared.store,
        OffsetDateTime::now_utc(),
    ) {
        Ok(user) => user,
        Err(_) => return (error(&ApiError::unauthorized()), None),
    };
    let query = parse_query(parts.uri.query());
    let target = classify(parts.method.as_str(), parts.uri.path(), &query);
    if !authorize(&shared.store, &user, &target.attributes()) {
        let message = target.attributes().forbidden_message(&user);
        return (error(&ApiError::forbidden(message)), Some(user));
    }
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let too_large = ApiError::new(
                413,
                "RequestEntityTooLarge",
                "the request body is too large or was cut off",
            );
            return (error(&too_large), Some(user));
        }
    };
    let response = match target {
        Target::NonResource { verb, path } => non_resource(shared, &verb, &path),
        Target::Resource(r) if r.verb == "watch" => watch::serve(shared, &r, &query),
        Target::Resource(r) => {
            let call = Call {
                user: &user,
                query: &query,
                content_type: header(CONTENT_TYPE).unwrap_or(""),
                body: &body,
            };
            let as_table = matches!(r.verb.as_str(), "get" | "list")
                && header(ACCEPT).is_some_and(table::wanted);
            match rest::serve(&shared.store, &r, &call) {
                Ok(answer) if as_table => json(
                    answer.code,
                    &table::table(&answer.body, OffsetDateTime::now_utc()),
                ),
                Ok(answer) => json(answer.code, &answer.body),
                Err(e) => error(&e),
            }
        }
    };
    (response, Some(user))
}

/// Health, version and discovery.
fn non_resource(shared: &Shared, verb: &str, path: &str) -> Response<Body> {
    if verb != "get" {
        return error(&ApiError::method_not_allowed(format!(
            "{verb} is not allowed on {path}"
        )));
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let found = match parts.as_slice() {
        ["healthz" | "livez" | "readyz", ..] => {
            return full(200, "text/plain; charset=utf-8", "ok");
        }
        ["version"] => Some(discovery::version()),
        ["api"] => Some(discovery::api_versions(&shared.server_address)),
        ["api", version] => discovery::resource_list("", version),
        ["apis"] => Some(discovery::group_list()),
        ["apis", group] => discovery::group(group),
        ["apis", group, version] => discovery::resource_list(group, version),
        ["openapi", "v3"] => Some(discovery::openapi_v3_index()),
        ["openapi", "v3", rest @ ..] => discovery::openapi_v3_document(&rest.join("/")),
        _ => None,
    };
    match found {
        Some(doc) => json(200, &doc),
        None => full(404, "text/plain; charset=utf-8", "404 page not found\n"),
    }
}
