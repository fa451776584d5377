fn main() -> std::process::ExitCode {
    kubeadm_rs::cli::main()
}
