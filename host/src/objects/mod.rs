//! The Kubernetes API objects `init` creates, built as values (no API calls): the phases that
//! apply them live in `phases::init`.
