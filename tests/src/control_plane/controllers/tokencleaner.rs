//! kube-controller-manager's tokencleaner: bootstrap token Secrets past their `expiration`
//! are deleted.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::super::meta;
use super::super::resources;
use super::super::store::{Store, StoreError};
use super::super::token::{TOKEN_SECRET_TYPE, secret_data};

pub fn sync(store: &Store, now: OffsetDateTime) -> Result<(), StoreError> {
    let secrets = resources::named("", "secrets");
    for secret in store.list(secrets, Some("kube-system")).items {
        if meta::str_field(&secret, "/type") != Some(TOKEN_SECRET_TYPE) {
            continue;
        }
        let expired = secret_data(&secret, "expiration")
            .and_then(|e| OffsetDateTime::parse(&e, &Rfc3339).ok())
            .is_some_and(|e| e <= now);
        if expired && let Some(name) = meta::name(&secret) {
            match store.delete(secrets, "kube-system", name) {
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
