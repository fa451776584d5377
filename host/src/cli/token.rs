//! `kubeadm-rs token create|list|delete|generate`: kubeadm's token commands, with its flags,
//! help and messages. The work is in [`crate::token`]; this file reads flags and prints.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use k8s_openapi::jiff::Timestamp;

use super::render::OutputFormat;
use super::{CliError, flags, reporter};
use crate::certkey::CertificateKey;
use crate::cluster::{Cluster, DEFAULT_API_TIMEOUT};
use crate::config::constants::{ADMIN_KUBECONFIG, DEFAULT_TOKEN_GROUP, KUBERNETES_DIR};
use crate::config::{self, InitOverrides};
use crate::events::Events;
use crate::join_command::{self, JoinCommand, Shown};
use crate::kubeconfig::Kubeconfig;
use crate::node::NodeRoot;
use crate::system::LIVE_CONFIG;
use crate::token::template::{GoTemplate, JsonPath};
use crate::token::{
    self, BootstrapToken, GROUP_PATTERN, TOKEN_ID_PATTERN, TOKEN_PATTERN, TokenId, TokenSpec, Usage,
};
use crate::workflow::Flag;

const TOKEN_LONG: &str = "\
This command manages bootstrap tokens. It is optional and needed only for advanced use cases.

In short, bootstrap tokens are used for establishing bidirectional trust between a client and a server.
A bootstrap token can be used when a client (for example a node that is about to join the cluster) needs
to trust the server it is talking to. Then a bootstrap token with the \"signing\" usage can be used.
bootstrap tokens can also function as a way to allow short-lived authentication to the API Server
(the token serves as a way for the API Server to trust the client), for example for doing the TLS Bootstrap.

What is a bootstrap token more exactly?
 - It is a Secret in the kube-system namespace of type \"bootstrap.kubernetes.io/token\".
 - A bootstrap token must be of the form \"[a-z0-9]{6}.[a-z0-9]{16}\". The former part is the public token ID,
   while the latter is the Token Secret and it must be kept private at all circumstances!
 - The name of the Secret must be named \"bootstrap-token-(token-id)\".

You can read more about bootstrap tokens here:
  https://kubernetes.io/docs/admin/bootstrap-tokens/";

const CREATE_LONG: &str = "\
This command will create a bootstrap token for you.
You can specify the usages for this token, the \"time to live\" and an optional human friendly description.

The [token] is the actual token to write.
This should be a securely generated random token of the form \"[a-z0-9]{6}.[a-z0-9]{16}\".
If no [token] is given, kubeadm-rs will generate a random token instead.";

const DELETE_LONG: &str = "\
This command will delete a list of bootstrap tokens for you.

The [token-value] is the full Token of the form \"[a-z0-9]{6}.[a-z0-9]{16}\" or the
Token ID of the form \"[a-z0-9]{6}\" to delete.";

const GENERATE_LONG: &str = "\
This command will print out a randomly-generated bootstrap token that can be used with
the \"init\" and \"join\" commands.

You don't have to use this command in order to generate a token. You can do so
yourself as long as it is in the format \"[a-z0-9]{6}.[a-z0-9]{16}\". This
command is provided for convenience to generate tokens in the given format.

You can also use \"kubeadm-rs init\" without specifying a token and it will
generate and print one for you.";

/// The `create` flags kubeadm does not allow beside `--config`.
const CONFIG_BOUND: [&str; 5] = ["certificate-key", "description", "groups", "ttl", "usages"];

pub fn command() -> Command {
    // The long help texts are laid out as kubeadm's; wrapping would break their lines.
    Command::new("token")
        .term_width(0)
        .about("Manage bootstrap tokens")
        .long_about(TOKEN_LONG)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("kubeconfig")
                .long("kubeconfig")
                .value_name("FILE")
                .global(true)
                .help(format!(
                    "The kubeconfig file to use when talking to the cluster. If the flag is not set, a set of \
                     standard locations can be searched for an existing kubeconfig file. [default: {KUBERNETES_DIR}/{ADMIN_KUBECONFIG}]"
                )),
        )
        .arg(
            flags::boolean(Arg::new("dry-run").long("dry-run"))
                .global(true)
                .help("Whether to enable dry-run mode or not"),
        )
        .subcommand(create_command())
        .subcommand(
            Command::new("list")
                .about("List bootstrap tokens on the server")
                .long_about("This command will list all bootstrap tokens for you.")
                .arg(
                    Arg::new("output")
                        .short('o')
                        .long("output")
                        .visible_alias("experimental-output")
                        .value_name("FORMAT")
                        .default_value("text")
                        .help("Output format. One of: text|json|yaml|go-template|go-template-file|jsonpath|jsonpath-file (kubectl's JSONPath; a Go template subset, see the README)."),
                ),
        )
        .subcommand(
            Command::new("delete")
                .about("Delete bootstrap tokens on the server")
                .long_about(DELETE_LONG)
                .override_usage("kubeadm-rs token delete [token-value] ...")
                .arg(
                    Arg::new("token-value")
                        .value_name("TOKEN|ID")
                        .num_args(0..)
                        .help("A token, or a token ID, to delete"),
                ),
        )
        .subcommand(
            Command::new("generate")
                .about("Generate and print a bootstrap token, but do not create it on the server")
                .long_about(GENERATE_LONG),
        )
}

fn create_command() -> Command {
    Command::new("create")
        .about("Create bootstrap tokens on the server")
        .long_about(CREATE_LONG)
        .override_usage("kubeadm-rs token create [token]")
        .arg(
            Arg::new("token")
                .value_name("TOKEN")
                .help("The token to create, of the form [a-z0-9]{6}.[a-z0-9]{16}"),
        )
        .arg(flags::flag(Flag::Config, flags::Verb::Init))
        .arg(
            flags::boolean(Arg::new("print-join-command").long("print-join-command"))
                .help("Instead of printing only the token, print the full 'kubeadm join' flag needed to join the cluster using the token."),
        )
        .arg(
            Arg::new("certificate-key")
                .long("certificate-key")
                .value_name("KEY")
                .help("When used together with '--print-join-command', print the full 'kubeadm join' flag needed to join the cluster as a control-plane. To create a new certificate key you must use 'kubeadm-rs init phase upload-certs --upload-certs'."),
        )
        .arg(
            Arg::new("ttl")
                .long("ttl")
                .value_name("DURATION")
                // As pflag does, a value may start with '-' (and is then refused as a TTL).
                .allow_hyphen_values(true)
                .default_value("24h0m0s")
                .help("The duration before the token is automatically deleted (e.g. 1s, 2m, 3h). If set to '0', the token will never expire"),
        )
        .arg(
            Arg::new("usages")
                .long("usages")
                .value_name("USAGES")
                .value_delimiter(',')
                .action(ArgAction::Append)
                .default_values(Usage::NAMES)
                .hide_default_value(true)
                .help(format!(
                    "Describes the ways in which this token can be used. You can pass --usages multiple times or provide a comma separated list of options. Valid options: [{0}] [default: {0}]",
                    Usage::NAMES.join(",")
                )),
        )
        .arg(
            Arg::new("groups")
                .long("groups")
                .value_name("GROUPS")
                .value_delimiter(',')
                .action(ArgAction::Append)
                .default_value(DEFAULT_TOKEN_GROUP)
                .help(format!(
                    "Extra groups that this token will authenticate as when used for authentication. Must match {GROUP_PATTERN:?}"
                )),
        )
        .arg(
            Arg::new("description")
                .long("description")
                .value_name("TEXT")
                .allow_hyphen_values(true)
                .default_value("")
                .hide_default_value(true)
                .help("A human friendly description of how this token is used."),
        )
}

pub fn run(m: &ArgMatches) -> Result<(), CliError> {
    match m.subcommand() {
        Some(("create", sub)) => create(sub),
        Some(("list", sub)) => list(sub),
        Some(("delete", sub)) => delete(sub),
        Some(("generate", _)) => {
            println!("{}", BootstrapToken::generate().map_err(input)?.expose());
            Ok(())
        }
        _ => unreachable!("clap requires a subcommand"),
    }
}

fn input(e: impl std::fmt::Display) -> CliError {
    CliError::input(e.to_string())
}

fn strings(m: &ArgMatches, name: &str) -> Vec<String> {
    m.get_many::<String>(name)
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect()
}

fn create(m: &ArgMatches) -> Result<(), CliError> {
    let print_join_command = flags::switch(m, "print-join-command");
    let certificate_key = m
        .get_one::<String>("certificate-key")
        .map(|k| {
            k.parse::<CertificateKey>()
                .map_err(|e| CliError::input(format!("--certificate-key: {e}")))
        })
        .transpose()?;
    if certificate_key.is_some() && !print_join_command {
        return Err(CliError::input(
            "cannot use --certificate-key without --print-join-command",
        ));
    }
    let specs = match flags::config_path(m) {
        Some(path) => specs_from_config(m, &path)?,
        None => vec![
            token::spec_from_flags(
                m.get_one::<String>("token").map(String::as_str),
                m.get_one::<String>("ttl").expect("has a default"),
                &strings(m, "usages"),
                // Always given (clap supplies kubeadm's default); `--groups ""` leaves it empty.
                Some(&strings(m, "groups")),
                m.get_one::<String>("description").expect("has a default"),
            )
            .map_err(input)?,
        ],
    };
    let kubeconfig = kubeconfig_path(m);
    // The join command needs the kubeconfig's CA: read it before a token is made for nothing.
    let join = print_join_command
        .then(|| join_command(&kubeconfig))
        .transpose()
        .map_err(|e| CliError::input(format!("failed to get join command: {e}")))?;
    let cluster = cluster(m, &kubeconfig)?;
    token::create_tokens(&cluster, &specs, Timestamp::now()).map_err(input)?;
    let first = &specs[0].token;
    let Some(join) = join else {
        println!("{}", first.expose());
        return Ok(());
    };
    let command = match &certificate_key {
        Some(key) => join.control_plane(Shown::Value(first), Some(Shown::Value(key))),
        None => join.worker(Shown::Value(first)),
    };
    println!("{}", join_command::on_one_line(&command));
    Ok(())
}

/// With `--config`, the tokens are the file's (a positional token is ignored, as in kubeadm).
fn specs_from_config(m: &ArgMatches, path: &str) -> Result<Vec<TokenSpec>, CliError> {
    let mixed: Vec<&str> = CONFIG_BOUND
        .into_iter()
        .filter(|name| m.value_source(name) == Some(ValueSource::CommandLine))
        .collect();
    if !mixed.is_empty() {
        return Err(CliError::input(format!(
            "can not mix '--config' with arguments [{}]",
            mixed.join(" ")
        )));
    }
    let text = config::read_config_file(path)?;
    let docs = config::load_documents(&text, path)?;
    let (cfg, warnings) =
        config::resolve_init(Some(&docs), &InitOverrides::default(), &LIVE_CONFIG)?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    cfg.init
        .bootstrap_tokens
        .iter()
        .map(TokenSpec::from_config)
        .collect::<Result<_, _>>()
        .map_err(input)
}

/// `token list -o`: kubeadm's text, JSON and YAML, and kubectl's template printers.
enum ListFormat {
    Text,
    Json,
    Yaml,
    JsonPath(JsonPath),
    GoTemplate(GoTemplate),
}

const LIST_FORMATS: &str =
    "text,json,yaml,go-template,go-template-file,jsonpath,jsonpath-file,template,templatefile";

impl ListFormat {
    /// `-o FORMAT`; the `*-file` forms read their template from a file.
    fn parse(format: &str) -> Result<Self, CliError> {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .map_err(|e| CliError::input(format!("error reading template {path}: {e}")))
        };
        let template_error = |e: token::template::TemplateError| CliError::input(e.to_string());
        let (name, value) = format.split_once('=').unwrap_or((format, ""));
        match (name, format.contains('=')) {
            ("text", false) => Ok(ListFormat::Text),
            ("json", false) => Ok(ListFormat::Json),
            ("yaml", false) => Ok(ListFormat::Yaml),
            ("jsonpath", true) => Ok(ListFormat::JsonPath(
                JsonPath::parse(value).map_err(template_error)?,
            )),
            ("jsonpath-file", true) => Ok(ListFormat::JsonPath(
                JsonPath::parse(&read(value)?).map_err(template_error)?,
            )),
            ("go-template" | "template", true) => Ok(ListFormat::GoTemplate(
                GoTemplate::parse(value).map_err(template_error)?,
            )),
            ("go-template-file" | "templatefile", true) => Ok(ListFormat::GoTemplate(
                GoTemplate::parse(&read(value)?).map_err(template_error)?,
            )),
            _ => Err(CliError::input(format!(
                "unable to match a printer suitable for the output format {format:?}, allowed formats are: {LIST_FORMATS}"
            ))),
        }
    }
}

fn list(m: &ArgMatches) -> Result<(), CliError> {
    let format = ListFormat::parse(m.get_one::<String>("output").expect("has a default"))?;
    let cluster = cluster(m, &kubeconfig_path(m))?;
    let listing = token::list_tokens(&cluster).map_err(input)?;
    for invalid in &listing.invalid {
        eprintln!("{invalid}");
    }
    let out = match format {
        ListFormat::Json => token::render_json(&listing.tokens),
        ListFormat::Yaml => token::render_yaml(&listing.tokens),
        ListFormat::Text => token::render_table(&listing.tokens, Timestamp::now()),
        ListFormat::JsonPath(template) => token::output_objects(&listing.tokens)
            .iter()
            .map(|object| template.render(object))
            .collect(),
        ListFormat::GoTemplate(template) => token::output_objects(&listing.tokens)
            .iter()
            .map(|object| template.render(object))
            .collect::<Result<String, _>>()
            .map_err(|e| CliError::input(e.to_string()))?,
    };
    print!("{out}");
    Ok(())
}

fn delete(m: &ArgMatches) -> Result<(), CliError> {
    let values = strings(m, "token-value");
    if values.is_empty() {
        return Err(CliError::input(format!(
            "missing argument; 'token delete' is missing token of form {TOKEN_PATTERN:?} or {TOKEN_ID_PATTERN:?}"
        )));
    }
    let ids = values
        .iter()
        .map(|v| TokenId::from_id_or_token(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(input)?;
    let cluster = cluster(m, &kubeconfig_path(m))?;
    for id in ids {
        token::delete_token(&cluster, &id).map_err(input)?;
        println!("bootstrap token {:?} deleted", id.as_str());
    }
    Ok(())
}

/// kubeadm's `GetKubeConfigPath`: `--kubeconfig` when given; otherwise the first existing file
/// of `$KUBECONFIG` (or `~/.kube/config`) and admin.conf, or the first of them if none exists.
fn kubeconfig_path(m: &ArgMatches) -> PathBuf {
    if let Some(path) = flags::kubeconfig(m) {
        return PathBuf::from(path);
    }
    let mut candidates: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(list) if !list.is_empty() => std::env::split_paths(&list).collect(),
        _ => std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(".kube/config"))
            .into_iter()
            .collect(),
    };
    candidates.push(Path::new(KUBERNETES_DIR).join(ADMIN_KUBECONFIG));
    candidates
        .iter()
        .find(|p| p.is_file())
        .unwrap_or(&candidates[0])
        .clone()
}

/// A kubeconfig's text, read through the host's root.
fn read_kubeconfig(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let absolute = std::path::absolute(path).map_err(|e| format!("kubeconfig {shown}: {e}"))?;
    let root = NodeRoot::open_read_only("/", Events::discard()).map_err(|e| e.to_string())?;
    let bytes = root
        .read(&absolute)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("kubeconfig {shown}: no such file"))?;
    String::from_utf8(bytes).map_err(|_| format!("kubeconfig {shown}: not UTF-8"))
}

/// The API client, or in `--dry-run` the recorder that prints what would be done.
fn cluster(m: &ArgMatches, kubeconfig: &Path) -> Result<Cluster, CliError> {
    if flags::switch(m, "dry-run") {
        return Ok(Cluster::dry_run(reporter(OutputFormat::Text)));
    }
    let text = read_kubeconfig(kubeconfig).map_err(CliError::input)?;
    Cluster::from_kubeconfig(
        &text,
        &kubeconfig.display().to_string(),
        DEFAULT_API_TIMEOUT,
    )
    .map_err(input)
}

/// The join command for the kubeconfig's cluster; a CA file it names is read relative to it.
fn join_command(kubeconfig: &Path) -> Result<JoinCommand, String> {
    let text = read_kubeconfig(kubeconfig)?;
    let parsed = Kubeconfig::parse(&text)
        .map_err(|reason| format!("kubeconfig {}: {reason}", kubeconfig.display()))?;
    let absolute = std::path::absolute(kubeconfig).map_err(|e| e.to_string())?;
    let root = NodeRoot::open_read_only("/", Events::discard()).map_err(|e| e.to_string())?;
    JoinCommand::from_kubeconfig(&parsed, &absolute, &root).map_err(|e| e.to_string())
}
