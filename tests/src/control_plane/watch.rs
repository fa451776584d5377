//! Watches (`?watch=true`): newline-delimited `{"type","object"}` events from the store's
//! change history, from the request's resourceVersion on (or, without one, every current
//! object as ADDED first), until `timeoutSeconds` or the client goes away.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::Response;
use hyper::body::{Bytes, Frame};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::request::ResourceRequest;
use super::resources;
use super::selector::{FieldSelector, LabelSelector};
use super::server::{Body, Shared, json as json_response};
use super::status::ApiError;

/// client-go asks for 5-10 minutes; an unbounded watch would outlive tests.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A response body fed by a channel, one chunk per event.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text =
        serde_json::to_vec(&json!({"type": kind, "object": object})).expect("JSON serializes");
    text.push(b'\n');
    Bytes::from(text)
}

struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }
}

pub fn serve(
    shared: &Arc<Shared>,
    req: &ResourceRequest,
    query: &BTreeMap<String, String>,
) -> Response<Body> {
    match start(shared, req, query) {
        Ok(response) => response,
        Err(e) => json_response(e.code(), &e.body()),
    }
}

fn start(
    shared: &Arc<Shared>,
    req: &ResourceRequest,
    query: &BTreeMap<String, String>,
) -> Result<Response<Body>, ApiError> {
    let resource = resources::find(&req.group, &req.version, &req.resource)
        .filter(|_| req.subresource.is_empty())
        .ok_or_else(|| ApiError::not_found("the server could not find the requested resource"))?;
    let bad = |e: super::selector::SelectorError| ApiError::bad_request(e.to_string());
    let filter = Filter {
        labels: LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
            .map_err(bad)?,
        fields: FieldSelector::parse(
            query.get("fieldSelector").map_or("", String::as_str),
            resource.plural,
        )
        .map_err(bad)?,
    };
    let namespace =
        (resource.namespaced && !req.namespace.is_empty()).then(|| req.namespace.clone());
    let since = match query.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(rv.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!("resourceVersion {rv:?} is not a number"))
        })?),
    };
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|s| s.parse().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
        .min(MAX_TIMEOUT);
    let (tx, rx) = mpsc::channel(64);
    let shared = shared.clone();
    tokio::spawn(async move {
        let store = &shared.store;
        let mut since = match since {
            Some(rv) => rv,
            None => {
                // Without a resourceVersion a watch starts with the current objects.
                let listed = store.list(resource, namespace.as_deref());
                for object in listed.items.iter().filter(|o| filter.matches(o)) {
                    if tx.send(line("ADDED", object)).await.is_err() {
                        return;
                    }
                }
                listed.revision
            }
        };
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = store.changed();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let events = match store.events_since(resource, namespace.as_deref(), since) {
                Ok(events) => events,
                Err(too_old) => {
                    let status = ApiError::new(410, "Expired", too_old.to_string()).body();
                    let _ = tx.send(line("ERROR", &status)).await;
                    return;
                }
            };
            for event in events {
                since = event.revision;
                if filter.matches(&event.object)
                    && tx
                        .send(line(event.kind.as_str(), &event.object))
                        .await
                        .is_err()
                {
                    return;
                }
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
            }
        }
    });
    Ok(Response::builder()
        .status(200)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(ChannelBody(rx).boxed())
        .expect("a valid response"))
}
