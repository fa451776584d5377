//! The kubeadm-rs command line, built inside the tests crate so integration tests can run it
//! as a real process (`CARGO_BIN_EXE_kubeadm-rs-cli`). Same entry point as the shipped binary.

fn main() -> std::process::ExitCode {
    kubeadm_rs::cli::main()
}
