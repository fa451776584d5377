//! Built-in phases, one file per phase family.

pub mod init;
