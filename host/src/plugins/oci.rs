//! Plugins from an OCI registry: a plugin is a WebAssembly OCI artifact (the wasm-artifact
//! layout of the Bytecode Alliance tools: an image manifest whose config has the media type
//! `application/vnd.wasm.config.v0+json` and whose one layer is the component,
//! `application/wasm`), referenced as `oci://registry/repository:tag@sha256:<manifest digest>`.
//!
//! Digests: the `@sha256:` of a reference is the MANIFEST's digest, as everywhere in OCI. The
//! manifest names the wasm layer's digest, so the manifest digest pins the wasm bytes through
//! it; a plugin's `sha256` field keeps pinning the wasm bytes themselves. A pull checks every
//! link (manifest bytes against the reference, wasm bytes against the layer digest) before
//! anything is cached or loaded. The minisign signature of the wasm travels in the manifest's
//! annotation [`SIGNATURE_ANNOTATION`] (`plugin push --signature`), so it is covered by the
//! manifest digest too and needs no second round trip.
//!
//! Pulled manifests and blobs are kept under the compile cache directory (`oci/`, the same
//! ownership and mode rules), named by their digest and checked against it on every read, so
//! a second run of a digest-pinned plugin does not touch the network.
//!
//! The distribution protocol itself is `oci-client`'s; its rustls uses the process's one
//! crypto provider, ring (toolchain.md G9).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::{OciDescriptor, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::Serialize;

use super::cache::{CacheError, check_tree};
use super::integrity::{Digest, MAX_PLUGIN_BYTES};
use super::seal;
use crate::config::read_bounded;

/// The scheme of a plugin source that names a registry artifact.
pub const SCHEME: &str = "oci://";
/// The OCI image manifest, the only manifest type a plugin is pulled as.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The config of a wasm artifact (CNCF TAG Runtime wasm OCI artifact layout).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The one layer of a wasm artifact: the component's bytes.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The manifest annotation holding the minisign signature (`.minisig` text) of the wasm layer.
pub const SIGNATURE_ANNOTATION: &str = "io.kubeadm-rs.plugin.minisig";

/// `KUBEADM_RS_REGISTRY_USERNAME`/`_PASSWORD`: basic-auth credentials for every registry,
/// before the docker `config.json`.
pub const USERNAME_ENV: &str = "KUBEADM_RS_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "KUBEADM_RS_REGISTRY_PASSWORD";

/// The largest manifest accepted: a wasm artifact's manifest is well under a KiB.
const MAX_MANIFEST_BYTES: usize = 256 << 10;
/// The largest CA bundle or docker config read.
const MAX_SMALL_FILE: u64 = 1 << 20;
/// Connecting to the registry; a pull as a whole.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// A failed pull or push; each says which reference and what to do.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error(
        "{reference:?} is not a plugin reference: {problem}; expected oci://registry/repository:tag@sha256:<manifest digest>"
    )]
    Reference { reference: String, problem: String },
    #[error("{reference}: {problem}")]
    Registry { reference: String, problem: String },
    #[error("{reference}: not a wasm plugin artifact: {problem}")]
    NotWasm { reference: String, problem: String },
    #[error(
        "{reference}: the {what} the registry sent has digest {actual}, not {expected}: tampered or corrupt; nothing was cached or run"
    )]
    Tampered {
        reference: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error("registry credentials: {0}")]
    Credentials(String),
    #[error("caFile {}: {problem}", path.display())]
    CaFile { path: PathBuf, problem: String },
    #[error("{0}")]
    Cache(#[from] CacheError),
    #[error("pull cache {}: {problem}", path.display())]
    CacheIo { path: PathBuf, problem: String },
    #[error("{path}: {problem}")]
    Local { path: String, problem: String },
}

/// A parsed `oci://` reference, with the text it was written as.
#[derive(Clone)]
pub struct OciReference {
    text: String,
    reference: Reference,
}

impl fmt::Display for OciReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for OciReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl OciReference {
    /// Parses `oci://registry[:port]/repository[:tag][@sha256:<64 hex>]`. The registry must be
    /// written out (no implicit docker.io), and a digest must be sha256.
    pub fn parse(text: &str) -> Result<Self, OciError> {
        let bad = |problem: &str| OciError::Reference {
            reference: text.to_string(),
            problem: problem.to_string(),
        };
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("it does not start with oci://"))?;
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("it names no repository after the registry"))?;
        if host.is_empty() || path.is_empty() {
            return Err(bad("the registry or the repository is empty"));
        }
        let reference = Reference::try_from(rest).map_err(|e| bad(&format!("{e}")))?;
        if reference.registry() != host {
            return Err(bad(
                "the registry must be written out (host[:port]/repository)",
            ));
        }
        if let Some(digest) = reference.digest()
            && digest_hex(digest).is_none()
        {
            return Err(bad("the digest is not sha256:<64 lowercase hex digits>"));
        }
        if reference.digest().is_none() && reference.tag().is_none() {
            return Err(bad("it has neither a tag nor a digest"));
        }
        Ok(OciReference {
            text: text.to_string(),
            reference,
        })
    }

    /// The manifest digest the reference pins (`sha256:…`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.reference.digest()
    }

    pub fn registry(&self) -> &str {
        self.reference.registry()
    }
}

/// The hex of a `sha256:<64 lowercase hex>` digest.
fn digest_hex(digest: &str) -> Option<&str> {
    digest.strip_prefix("sha256:").filter(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn oci_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", Digest::of(bytes).hex())
}

/// Basic-auth credentials; the password is never shown.
#[derive(Clone, Default)]
pub enum Credentials {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
        }
    }
}

impl Credentials {
    /// The credentials for `registry`: `KUBEADM_RS_REGISTRY_USERNAME`/`_PASSWORD`, else the
    /// `auths` entry of the docker `config.json` (`$DOCKER_CONFIG`, else `~/.docker`), else none.
    pub fn for_registry(registry: &str) -> Result<Self, OciError> {
        let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        match (env(USERNAME_ENV), env(PASSWORD_ENV)) {
            (Some(username), Some(password)) => {
                return Ok(Credentials::Basic { username, password });
            }
            (None, None) => {}
            _ => {
                return Err(OciError::Credentials(format!(
                    "{USERNAME_ENV} and {PASSWORD_ENV} must be set together"
                )));
            }
        }
        let dir = match (std::env::var_os("DOCKER_CONFIG"), std::env::var_os("HOME")) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(home)) => Path::new(&home).join(".docker"),
            (None, None) => return Ok(Credentials::Anonymous),
        };
        Self::from_docker_config(&dir.join("config.json"), registry)
    }

    /// The `auths.<registry>` entry of a docker `config.json`: its `auth` (base64 of
    /// `user:password`), or `username` and `password`. A missing file means anonymous.
    pub fn from_docker_config(path: &Path, registry: &str) -> Result<Self, OciError> {
        let bad = |problem: String| OciError::Credentials(format!("{}: {problem}", path.display()));
        let bytes = match read_bounded(path, MAX_SMALL_FILE) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Credentials::Anonymous);
            }
            Err(e) => return Err(bad(e.to_string())),
        };
        let config: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON ({e})")))?;
        let auths = config.get("auths");
        let Some(entry) = [registry.to_string(), format!("https://{registry}")]
            .iter()
            .find_map(|key| auths.and_then(|a| a.get(key)))
        else {
            return Ok(Credentials::Anonymous);
        };
        let field = |name| {
            entry
                .get(name)
                .and_then(|v| v.as_str())
                .filter(|v| !v.is_empty())
        };
        if let Some(auth) = field("auth") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "auths.{registry}.auth is not base64 of user:password"
                    ))
                })?;
            let (username, password) = decoded.split_once(':').ok_or_else(|| {
                bad(format!(
                    "auths.{registry}.auth is not base64 of user:password"
                ))
            })?;
            return Ok(Credentials::Basic {
                username: username.to_string(),
                password: password.to_string(),
            });
        }
        match (field("username"), field("password")) {
            (Some(u), Some(p)) => Ok(Credentials::Basic {
                username: u.to_string(),
                password: p.to_string(),
            }),
            _ => Ok(Credentials::Anonymous),
        }
    }

    fn auth(&self) -> RegistryAuth {
        match self {
            Credentials::Anonymous => RegistryAuth::Anonymous,
            Credentials::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
        }
    }
}

/// How to reach a registry: whom to trust for TLS (a CA file, else the system roots) and
/// which credentials to present.
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub ca_file: Option<PathBuf>,
    pub credentials: Credentials,
}

impl Access {
    /// The CA file (if any) and the credentials `Credentials::for_registry` finds.
    pub fn for_reference(
        reference: &OciReference,
        ca_file: Option<PathBuf>,
    ) -> Result<Self, OciError> {
        Ok(Access {
            ca_file,
            credentials: Credentials::for_registry(reference.registry())?,
        })
    }

    fn client(&self) -> Result<Client, OciError> {
        // reqwest takes the process default; ring is the only provider compiled in (G9).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut config = ClientConfig {
            protocol: ClientProtocol::Https,
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(READ_TIMEOUT),
            platform_resolver: None,
            max_concurrent_download: 1,
            ..ClientConfig::default()
        };
        if let Some(path) = &self.ca_file {
            let pem = read_bounded(path, MAX_SMALL_FILE).map_err(|e| OciError::CaFile {
                path: path.clone(),
                problem: e.to_string(),
            })?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err(OciError::CaFile {
                    path: path.clone(),
                    problem: "no PEM certificate in it".into(),
                });
            }
            config.extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data: pem,
            });
        }
        Client::try_from(config).map_err(|e| OciError::Registry {
            reference: "(client)".into(),
            problem: format!("cannot set up the registry client: {}", chain(&e)),
        })
    }
}

/// An error with its causes on one line (`a: b: c`), repeated messages dropped.
fn chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// What a registry's refusal means for the operator.
fn registry_problem(
    reference: &OciReference,
    action: &str,
    error: &OciDistributionError,
) -> OciError {
    let registry = reference.registry();
    let problem = match error {
        OciDistributionError::UnauthorizedError { .. } => format!(
            "{action}: the registry {registry} refused the credentials (401 Unauthorized); check {USERNAME_ENV}/{PASSWORD_ENV} or the auths entry for {registry} in the docker config.json"
        ),
        OciDistributionError::AuthenticationFailure(m) => format!(
            "{action}: authentication with {registry} failed ({m}); check {USERNAME_ENV}/{PASSWORD_ENV} or the docker config.json"
        ),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<String> = envelope
                .errors
                .iter()
                .map(|e| format!("{:?}: {}", e.code, e.message))
                .collect();
            let codes = codes.join(", ");
            if codes.contains("Unauthorized") || codes.contains("Denied") {
                format!(
                    "{action}: the registry {registry} refused the credentials ({codes}); check {USERNAME_ENV}/{PASSWORD_ENV} or the docker config.json"
                )
            } else if codes.contains("Unknown") {
                format!(
                    "{action}: the registry has no such artifact ({codes}); check the repository, tag and digest"
                )
            } else {
                format!("{action}: the registry refused ({codes})")
            }
        }
        OciDistributionError::ServerError { code, message, .. } => {
            format!("{action}: the registry answered {code}: {}", message.trim())
        }
        OciDistributionError::RequestError(e) => {
            format!(
                "{action}: cannot reach the registry {registry}: {}",
                chain(e)
            )
        }
        OciDistributionError::DigestError(e) => format!(
            "{action}: the registry sent content that does not match its digest ({e}): tampered or corrupt; nothing was cached or run"
        ),
        other => format!("{action}: {}", chain(other)),
    };
    OciError::Registry {
        reference: reference.to_string(),
        problem,
    }
}

/// A plugin pulled and checked against every digest on the way.
pub struct Pulled {
    /// The component's bytes.
    pub wasm: Vec<u8>,
    /// Their sha256 (the layer digest).
    pub digest: Digest,
    /// The manifest's digest, `sha256:…`.
    pub manifest_digest: String,
    /// The minisign signature text from the manifest's annotation, if any.
    pub signature: Option<String>,
    /// Where the wasm is kept in the pull cache, if it was cached.
    pub cached: Option<PathBuf>,
    /// Whether the registry was asked (false: all from the cache).
    pub fetched: bool,
}

/// The pull cache: manifests and wasm blobs named by their digest, under the compile cache
/// directory and held to its rules (this user's, closed to others, files 0600).
pub struct PullCache {
    dir: PathBuf,
    euid: u32,
}

impl PullCache {
    /// The cache in `<compile cache>/oci`; nothing is created until something is stored.
    pub fn open(compile_cache: &Path) -> Result<Self, OciError> {
        let dir =
            std::path::absolute(compile_cache.join("oci")).map_err(|e| OciError::CacheIo {
                path: compile_cache.to_path_buf(),
                problem: e.to_string(),
            })?;
        let euid = rustix::process::geteuid().as_raw();
        check_tree(&dir, euid)?;
        Ok(PullCache { dir, euid })
    }

    fn manifest_path(&self, hex: &str) -> PathBuf {
        self.dir.join(format!("sha256-{hex}.manifest.json"))
    }

    fn blob_path(&self, hex: &str) -> PathBuf {
        self.dir.join(format!("sha256-{hex}.wasm"))
    }

    /// The file's bytes when it is this user's, 0600, and hashes to `hex`; else `None` (a
    /// tampered or stray file is fetched again and replaced).
    fn read(&self, path: &Path, hex: &str, limit: u64) -> Option<Vec<u8>> {
        let meta = fs::symlink_metadata(path).ok()?;
        seal::check_file(&meta, self.euid).ok()?;
        let bytes = read_bounded(path, limit).ok()?;
        (Digest::of(&bytes).hex() == hex).then_some(bytes)
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> Result<(), OciError> {
        let io = |problem: String| OciError::CacheIo {
            path: path.to_path_buf(),
            problem,
        };
        let compile_cache = self.dir.parent().unwrap_or(Path::new("/"));
        if let Some(parent) = compile_cache.parent() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(|e| io(format!("cannot create {}: {e}", parent.display())))?;
        }
        for dir in [compile_cache, &self.dir] {
            match fs::DirBuilder::new().mode(0o700).create(dir) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(io(format!("cannot create {}: {e}", dir.display())));
                }
                _ => {}
            }
        }
        check_tree(&self.dir, self.euid)?;
        let meta = fs::symlink_metadata(&self.dir).map_err(|e| io(e.to_string()))?;
        if meta.uid() != self.euid {
            return Err(io("the directory is not this user's".into()));
        }
        seal::write_atomic(path, bytes).map_err(|e| io(e.to_string()))
    }
}

/// The checked parts of a wasm artifact's manifest.
struct Artifact {
    layer: OciDescriptor,
    signature: Option<String>,
}

fn artifact(reference: &OciReference, manifest: &[u8]) -> Result<Artifact, OciError> {
    let not_wasm = |problem: String| OciError::NotWasm {
        reference: reference.to_string(),
        problem,
    };
    let manifest: OciImageManifest = serde_json::from_slice(manifest)
        .map_err(|e| not_wasm(format!("the manifest is not an OCI image manifest ({e})")))?;
    if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
        return Err(not_wasm(format!(
            "its config media type is {:?}, expected {WASM_CONFIG_MEDIA_TYPE}",
            manifest.config.media_type
        )));
    }
    let [layer] = manifest.layers.as_slice() else {
        return Err(not_wasm(format!(
            "it has {} layers, expected exactly one {WASM_LAYER_MEDIA_TYPE} layer",
            manifest.layers.len()
        )));
    };
    if layer.media_type != WASM_LAYER_MEDIA_TYPE {
        return Err(not_wasm(format!(
            "its layer's media type is {:?}, expected {WASM_LAYER_MEDIA_TYPE}",
            layer.media_type
        )));
    }
    if digest_hex(&layer.digest).is_none() {
        return Err(not_wasm(format!(
            "its layer digest {:?} is not sha256:<64 hex digits>",
            layer.digest
        )));
    }
    if !(0..=MAX_PLUGIN_BYTES as i64).contains(&layer.size) {
        return Err(not_wasm(format!(
            "its layer is {} bytes; a plugin may have at most {MAX_PLUGIN_BYTES}",
            layer.size
        )));
    }
    let signature = manifest
        .annotations
        .and_then(|mut a| a.remove(SIGNATURE_ANNOTATION));
    Ok(Artifact {
        layer: layer.clone(),
        signature,
    })
}

/// Runs `future` on a small runtime of its own (callers stay synchronous), bounded in time.
fn block_on<T>(
    reference: &OciReference,
    future: impl Future<Output = Result<T, OciError>>,
) -> Result<T, OciError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| OciError::Registry {
            reference: reference.to_string(),
            problem: format!("cannot start the network runtime: {e}"),
        })?;
    runtime.block_on(async {
        tokio::time::timeout(OPERATION_TIMEOUT, future)
            .await
            .unwrap_or_else(|_| {
                Err(OciError::Registry {
                    reference: reference.to_string(),
                    problem: format!("no answer within {OPERATION_TIMEOUT:?}"),
                })
            })
    })
}

/// Pulls a plugin: from `cache` when the reference is digest-pinned and both the manifest and
/// the wasm are there intact, else from the registry (and then cached). Every digest is checked.
pub fn pull(
    reference: &OciReference,
    access: &Access,
    cache: Option<&PullCache>,
) -> Result<Pulled, OciError> {
    if let (Some(cache), Some(hex)) = (cache, reference.digest().and_then(digest_hex))
        && let Some(manifest) =
            cache.read(&cache.manifest_path(hex), hex, MAX_MANIFEST_BYTES as u64)
        && let Ok(artifact) = artifact(reference, &manifest)
        && let Some(layer_hex) = digest_hex(&artifact.layer.digest)
        && let Some(wasm) = cache.read(&cache.blob_path(layer_hex), layer_hex, MAX_PLUGIN_BYTES)
    {
        return Ok(Pulled {
            digest: Digest::of(&wasm),
            wasm,
            manifest_digest: format!("sha256:{hex}"),
            signature: artifact.signature,
            cached: Some(cache.blob_path(layer_hex)),
            fetched: false,
        });
    }
    let client = access.client()?;
    let auth = access.credentials.auth();
    let (manifest, manifest_digest, artifact, wasm) = block_on(reference, async {
        let (manifest, _) = client
            .pull_manifest_raw(&reference.reference, &auth, &[MANIFEST_MEDIA_TYPE])
            .await
            .map_err(|e| registry_problem(reference, "fetching the manifest", &e))?;
        if manifest.len() > MAX_MANIFEST_BYTES {
            return Err(OciError::NotWasm {
                reference: reference.to_string(),
                problem: format!(
                    "its manifest is {} bytes, more than {MAX_MANIFEST_BYTES}",
                    manifest.len()
                ),
            });
        }
        let manifest_digest = oci_digest(&manifest);
        if let Some(expected) = reference.digest()
            && expected != manifest_digest
        {
            return Err(OciError::Tampered {
                reference: reference.to_string(),
                what: "manifest",
                expected: expected.to_string(),
                actual: manifest_digest,
            });
        }
        let artifact = artifact(reference, &manifest)?;
        let mut stream = client
            .pull_blob_stream(&reference.reference, &artifact.layer)
            .await
            .map_err(|e| registry_problem(reference, "fetching the wasm layer", &e))?;
        let mut wasm = Vec::new();
        while let Some(chunk) = stream.next().await {
            // The client checks the bytes against the layer digest as they arrive.
            let chunk = chunk.map_err(|e| {
                let tampered = if e.to_string().contains("digest") {
                    ": tampered or corrupt; nothing was cached or run"
                } else {
                    ""
                };
                OciError::Registry {
                    reference: reference.to_string(),
                    problem: format!("fetching the wasm layer: {}{tampered}", chain(&e)),
                }
            })?;
            if (wasm.len() + chunk.len()) as u64 > MAX_PLUGIN_BYTES
                || wasm.len() + chunk.len() > artifact.layer.size as usize
            {
                return Err(OciError::Tampered {
                    reference: reference.to_string(),
                    what: "wasm layer",
                    expected: format!("{} ({} bytes)", artifact.layer.digest, artifact.layer.size),
                    actual: format!("more than {} bytes", artifact.layer.size),
                });
            }
            wasm.extend_from_slice(&chunk);
        }
        Ok((manifest, manifest_digest, artifact, wasm))
    })?;
    let actual = oci_digest(&wasm);
    if actual != artifact.layer.digest {
        return Err(OciError::Tampered {
            reference: reference.to_string(),
            what: "wasm layer",
            expected: artifact.layer.digest.clone(),
            actual,
        });
    }
    let digest = Digest::of(&wasm);
    let mut cached = None;
    if let Some(cache) = cache {
        let blob = cache.blob_path(&digest.hex());
        cache.store(&blob, &wasm)?;
        // The manifest last: a cached manifest is only ever found with its blob beside it.
        let hex = manifest_digest.trim_start_matches("sha256:");
        cache.store(&cache.manifest_path(hex), &manifest)?;
        cached = Some(blob);
    }
    Ok(Pulled {
        wasm,
        digest,
        manifest_digest,
        signature: artifact.signature,
        cached,
        fetched: true,
    })
}

/// The config blob of a wasm component artifact (the layout's `application/vnd.wasm.config.v0+json`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WasmConfig<'a> {
    /// Fixed, so pushing the same plugin and signature twice gives the same manifest digest.
    created: &'static str,
    architecture: &'static str,
    os: &'static str,
    layer_digests: Vec<String>,
    component: ComponentInfo<'a>,
}

/// What the component exports and imports, for registries and tools that index artifacts.
#[derive(Serialize)]
pub struct ComponentInfo<'a> {
    pub exports: Vec<String>,
    pub imports: &'a [String],
    pub target: Option<String>,
}

/// A pushed plugin: the digests an operator pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub manifest_digest: String,
    pub wasm_digest: Digest,
}

/// Pushes `wasm` (with its minisign `signature` text as the manifest annotation) as a wasm
/// component artifact to `reference` (a tag; a digest in it must match what is pushed).
pub fn push(
    reference: &OciReference,
    access: &Access,
    wasm: &[u8],
    signature: Option<&str>,
    component: ComponentInfo<'_>,
) -> Result<Pushed, OciError> {
    let wasm_digest = oci_digest(wasm);
    let config = serde_json::to_vec(&WasmConfig {
        created: "1970-01-01T00:00:00Z",
        architecture: "wasm",
        os: "wasip2",
        layer_digests: vec![wasm_digest.clone()],
        component,
    })
    .expect("the config serializes");
    let descriptor = |media_type: &str, bytes: &[u8]| OciDescriptor {
        media_type: media_type.to_string(),
        digest: oci_digest(bytes),
        size: bytes.len() as i64,
        ..OciDescriptor::default()
    };
    let annotations: BTreeMap<String, String> = signature
        .map(|s| (SIGNATURE_ANNOTATION.to_string(), s.to_string()))
        .into_iter()
        .collect();
    let manifest = OciImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_string()),
        config: descriptor(WASM_CONFIG_MEDIA_TYPE, &config),
        layers: vec![descriptor(WASM_LAYER_MEDIA_TYPE, wasm)],
        subject: None,
        artifact_type: None,
        annotations: (!annotations.is_empty()).then_some(annotations),
    };
    let config_digest = manifest.config.digest.clone();
    let manifest = serde_json::to_vec(&manifest).expect("the manifest serializes");
    let manifest_digest = oci_digest(&manifest);
    if let Some(pinned) = reference.digest()
        && pinned != manifest_digest
    {
        return Err(OciError::Reference {
            reference: reference.to_string(),
            problem: format!(
                "it pins {pinned}, but the manifest pushed would be {manifest_digest}"
            ),
        });
    }
    let client = access.client()?;
    let auth = access.credentials.auth();
    block_on(reference, async {
        let image = &reference.reference;
        client
            .store_auth_if_needed(image.resolve_registry(), &auth)
            .await;
        client
            .push_blob(image, wasm.to_vec(), &wasm_digest)
            .await
            .map_err(|e| registry_problem(reference, "pushing the wasm layer", &e))?;
        client
            .push_blob(image, config, &config_digest)
            .await
            .map_err(|e| registry_problem(reference, "pushing the config", &e))?;
        client
            .push_manifest_raw(
                image,
                manifest.clone(),
                hyper::header::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
            )
            .await
            .map_err(|e| registry_problem(reference, "pushing the manifest", &e))?;
        Ok(())
    })?;
    Ok(Pushed {
        manifest_digest,
        wasm_digest: Digest::of(wasm),
    })
}

#[cfg(test)]
mod tests;
