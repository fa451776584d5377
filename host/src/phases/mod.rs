//! Built-in phases, one file per phase family; what commands share lives in `common`.

pub mod common;
pub mod init;
pub mod join;
pub mod reset;
