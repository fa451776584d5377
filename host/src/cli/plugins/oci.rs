//! The distributor's commands `plugin push` and `plugin pull`: a plugin as a wasm OCI artifact.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command};

use super::{CliError, configured, plugin_options};
use crate::cli::flags::{Verb, flag};
use crate::config::read_bounded;
use crate::plugins::oci::{self, Access, ComponentInfo, OciReference};
use crate::plugins::{MAX_PLUGIN_BYTES, WIT_VERSION, default_signature_path};
use crate::workflow::Flag;

/// The largest signature file read: a minisign signature is a few hundred bytes.
const MAX_SIGNATURE_BYTES: u64 = 64 << 10;

fn reference_arg() -> Arg {
    Arg::new("reference")
        .value_name("REFERENCE")
        .required(true)
        .help("oci://registry[:port]/repository:tag[@sha256:<manifest digest>]")
}

fn ca_file_arg() -> Arg {
    Arg::new("ca-file").long("ca-file").value_name("FILE").help(
        "A PEM CA bundle the registry's certificate must chain to [default: the system roots]",
    )
}

pub fn subcommands() -> [Command; 2] {
    [
        Command::new("push")
            .about("Push a plugin (and its minisign signature) to an OCI registry as a wasm artifact; prints the digest to pin")
            .long_about("Push a plugin to an OCI registry as a wasm component artifact (config application/vnd.wasm.config.v0+json, one application/wasm layer). The minisign signature (--signature, default <file>.minisig when it exists) travels in the manifest annotation io.kubeadm-rs.plugin.minisig. Credentials: KUBEADM_RS_REGISTRY_USERNAME/KUBEADM_RS_REGISTRY_PASSWORD, else the docker config.json. Prints the reference pinned by the manifest digest for a PluginConfiguration's source.oci.")
            .arg(
                Arg::new("file")
                    .value_name("FILE")
                    .required(true)
                    .help("The plugin's .wasm file"),
            )
            .arg(reference_arg())
            .arg(
                Arg::new("signature")
                    .long("signature")
                    .value_name("FILE")
                    .help("The minisign signature of the .wasm [default: <file>.minisig when it exists]"),
            )
            .arg(ca_file_arg())
            .arg(flag(Flag::Config, Verb::Init)),
        Command::new("pull")
            .about("Pull a plugin from an OCI registry, check every digest, and write the .wasm (and .minisig)")
            .arg(reference_arg())
            .arg(
                Arg::new("output")
                    .short('o')
                    .long("output-file")
                    .value_name("FILE")
                    .required(true)
                    .help("Where the .wasm is written; a signature in the artifact goes to <FILE>.minisig"),
            )
            .arg(ca_file_arg()),
    ]
}

fn access(m: &ArgMatches, reference: &OciReference) -> Result<Access, CliError> {
    let ca_file = m.get_one::<String>("ca-file").map(PathBuf::from);
    Access::for_reference(reference, ca_file).map_err(|e| CliError::input(e.to_string()))
}

fn reference(m: &ArgMatches) -> Result<OciReference, CliError> {
    let text = m.get_one::<String>("reference").expect("required");
    OciReference::parse(text).map_err(|e| CliError::input(e.to_string()))
}

fn read(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, CliError> {
    read_bounded(path, limit)
        .map_err(|e| CliError::input(format!("reading the {what} {}: {e}", path.display())))
}

/// `plugin push` and `plugin pull`; `None` for the other subcommands.
pub fn run(name: &str, m: &ArgMatches) -> Option<Result<(), CliError>> {
    match name {
        "push" => Some(push(m)),
        "pull" => Some(pull(m)),
        _ => None,
    }
}

fn push(m: &ArgMatches) -> Result<(), CliError> {
    let reference = reference(m)?;
    let file = PathBuf::from(m.get_one::<String>("file").expect("required"));
    let wasm = read(&file, MAX_PLUGIN_BYTES, "plugin")?;
    let signature = match m.get_one::<String>("signature") {
        Some(path) => Some(read(Path::new(path), MAX_SIGNATURE_BYTES, "signature")?),
        None => {
            let default = default_signature_path(&file);
            default
                .exists()
                .then(|| read(&default, MAX_SIGNATURE_BYTES, "signature"))
                .transpose()?
        }
    };
    let signature = signature
        .map(|s| {
            String::from_utf8(s)
                .ok()
                .filter(|s| minisign_verify::Signature::decode(s).is_ok())
                .ok_or_else(|| {
                    CliError::input(
                        "--signature: not a minisign signature (the text of a .minisig file)",
                    )
                })
        })
        .transpose()?;
    // Only a real plugin is published: the host reads its world and imports for the config.
    let (_, host) = configured(&plugin_options(m))?;
    let inspection = host
        .inspect(&file)
        .map_err(|e| CliError::input(e.to_string()))?;
    let exports = match inspection.kind {
        crate::plugins::PluginKind::Preflight => ["describe", "run"],
        crate::plugins::PluginKind::Addon => ["describe", "render"],
    };
    let component = ComponentInfo {
        exports: exports.iter().map(ToString::to_string).collect(),
        imports: &inspection.imports,
        target: Some(format!(
            "kubeadm-rs:plugin/{}@{}",
            inspection.kind.world(),
            inspection.wit_version.as_deref().unwrap_or(WIT_VERSION)
        )),
    };
    let access = access(m, &reference)?;
    let pushed = oci::push(&reference, &access, &wasm, signature.as_deref(), component)
        .map_err(|e| CliError::input(e.to_string()))?;
    let base = reference.to_string();
    let base = base.split('@').next().unwrap_or(&base);
    println!("pushed:   {base}@{}", pushed.manifest_digest);
    println!("sha256:   {}", pushed.wasm_digest);
    println!(
        "signed:   {}",
        if signature.is_some() {
            "yes (manifest annotation)"
        } else {
            "no"
        }
    );
    Ok(())
}

fn pull(m: &ArgMatches) -> Result<(), CliError> {
    let reference = reference(m)?;
    let output = PathBuf::from(m.get_one::<String>("output").expect("required"));
    let access = access(m, &reference)?;
    let pulled =
        oci::pull(&reference, &access, None).map_err(|e| CliError::input(e.to_string()))?;
    let write = |path: &Path, bytes: &[u8]| {
        crate::plugins::write_file_atomic(path, bytes)
            .map_err(|e| CliError::input(format!("writing {}: {e}", path.display())))
    };
    // The signature first: a .wasm on disk always has the signature it came with beside it.
    let signature_file = default_signature_path(&output);
    match &pulled.signature {
        Some(text) => write(&signature_file, text.as_bytes())?,
        None => match std::fs::remove_file(&signature_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::input(format!(
                    "removing the stale {}: {e}",
                    signature_file.display()
                )));
            }
            _ => {}
        },
    }
    write(&output, &pulled.wasm)?;
    println!("manifest: {}", pulled.manifest_digest);
    println!("sha256:   {}", pulled.digest);
    println!(
        "signature: {}",
        if pulled.signature.is_some() {
            signature_file.display().to_string()
        } else {
            "none in the artifact".into()
        }
    );
    Ok(())
}
