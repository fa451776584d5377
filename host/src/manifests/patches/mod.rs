//! `--patches DIR` (config `patches.directory`): kubeadm's patch files, named
//! `target[suffix][+patchtype].{json,yaml}`, applied in the order a sorted walk of the
//! directory finds them, each document of a file one patch.

mod strategic;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use strategic::{
    ListStrategies, ListStrategy, StrategicError, no_merge_keys, pod_lists, pod_spec_lists,
    strategic_merge,
};

use crate::events::Events;

/// What patches can target, in the order kubeadm matches file names against them.
pub const KNOWN_TARGETS: [&str; 6] = [
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    KUBELET_CONFIGURATION,
    COREDNS_DEPLOYMENT,
];
pub const KUBELET_CONFIGURATION: &str = "kubeletconfiguration";
pub const COREDNS_DEPLOYMENT: &str = "corednsdeployment";

const EXTENSIONS: [&str; 2] = ["json", "yaml"];

/// The three kinds of patch kubeadm applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// Kubernetes strategic merge patch (the default).
    Strategic,
    /// JSON merge patch, RFC 7386.
    Merge,
    /// JSON patch, RFC 6902.
    Json,
}

impl PatchType {
    /// The media type kubeadm names when it reports a patch.
    pub fn media_type(self) -> &'static str {
        match self {
            PatchType::Strategic => "application/strategic-merge-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Json => "application/json-patch+json",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "strategic" => Some(PatchType::Strategic),
            "merge" => Some(PatchType::Merge),
            "json" => Some(PatchType::Json),
            _ => None,
        }
    }
}

/// A patch file or document that cannot be used; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("could not list patch files for path {dir:?}: {source}")]
    List { dir: String, source: std::io::Error },
    #[error("could not list patch files for path {dir:?}: not a directory")]
    NotADirectory { dir: String },
    #[error("could not read patch file {file:?}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "patch file {file:?}: unknown or missing patch type after '+', must be one of [json merge strategic]"
    )]
    UnknownPatchType { file: String },
    #[error("patch file {file:?}, document {document}: {message}")]
    Parse {
        file: String,
        document: usize,
        message: String,
    },
    #[error(
        "patch file {file:?}, document {document}: could not apply the patch of type {:?} to target {target:?}: {message}",
        patch_type.media_type()
    )]
    Apply {
        file: String,
        document: usize,
        patch_type: PatchType,
        target: String,
        message: String,
    },
}

/// The patches of one file for one target.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchFile {
    /// Where the file is, for messages.
    pub file: String,
    pub target: String,
    pub patch_type: PatchType,
    /// One patch per YAML document, as JSON.
    pub documents: Vec<Value>,
}

impl PatchFile {
    /// Splits `text` into documents (YAML or JSON) and decodes each one.
    pub fn parse(
        file: &str,
        target: &str,
        patch_type: PatchType,
        text: &str,
    ) -> Result<Self, PatchError> {
        let mut documents = Vec::new();
        for (i, doc) in split_documents(text).iter().enumerate() {
            let value: Value = serde_saphyr::from_str(doc).map_err(|e| PatchError::Parse {
                file: file.to_string(),
                document: i + 1,
                message: first_line(&e.without_snippet().to_string()),
            })?;
            if !value.is_null() {
                documents.push(value);
            }
        }
        Ok(PatchFile {
            file: file.to_string(),
            target: target.to_string(),
            patch_type,
            documents,
        })
    }
}

/// What a file name says about a patch.
#[derive(Debug, PartialEq, Eq)]
enum FileName {
    Patch {
        target: &'static str,
        patch_type: PatchType,
    },
    /// Not a patch file; kubeadm ignores it with this reason.
    Ignored(String),
    /// `+` followed by something that is not a patch type: an error, not a warning.
    BadPatchType,
}

/// kubeadm's `parseFilename`: `.json`/`.yaml`, a known target at the start, an optional
/// suffix without `.` or `+`, then optionally `+json`, `+merge` or `+strategic`.
fn parse_file_name(name: &str) -> FileName {
    let has_extension = EXTENSIONS
        .iter()
        .any(|ext| name.len() > ext.len() + 1 && name.ends_with(&format!(".{ext}")));
    if !has_extension {
        return FileName::Ignored(format!(
            "the file extension must be one of [{}]",
            EXTENSIONS.join(" ")
        ));
    }
    let Some(target) = KNOWN_TARGETS.iter().find(|t| name.starts_with(*t)) else {
        return FileName::Ignored(format!(
            "unknown target, must be one of [{}]",
            KNOWN_TARGETS.join(" ")
        ));
    };
    let rest = &name[target.len()..];
    let after_suffix = &rest[rest.find(['.', '+', '\n']).unwrap_or(rest.len())..];
    let patch_type = match after_suffix.strip_prefix('+') {
        None => PatchType::Strategic,
        Some(tail) => match ["json", "merge", "strategic"]
            .iter()
            .find(|t| tail.starts_with(*t))
        {
            Some(t) => PatchType::from_name(t).expect("listed patch types parse"),
            None => return FileName::BadPatchType,
        },
    };
    FileName::Patch { target, patch_type }
}

/// Documents separated by `---` lines, as Kubernetes' YAML reader splits them.
fn split_documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line.starts_with("---") && line[3..].trim().is_empty() {
            docs.push(String::new());
        } else {
            let current = docs.last_mut().expect("at least one document");
            current.push_str(line);
            current.push('\n');
        }
    }
    docs.into_iter().filter(|d| !d.trim().is_empty()).collect()
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML or JSON")
        .to_string()
}

/// Every patch file of a directory, in application order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Patches {
    pub files: Vec<PatchFile>,
}

impl Patches {
    /// Reads a patch directory, reporting what it found as kubeadm does.
    pub fn load(dir: &Path, events: &Events) -> Result<Self, PatchError> {
        let shown = dir.display().to_string();
        events.info(format!("[patches] Reading patches from path {shown:?}"));
        let meta = std::fs::symlink_metadata(dir).map_err(|source| PatchError::List {
            dir: shown.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(PatchError::NotADirectory { dir: shown });
        }
        let mut paths = Vec::new();
        walk(dir, &mut paths).map_err(|source| PatchError::List {
            dir: shown.clone(),
            source,
        })?;
        let (mut files, mut found, mut ignored) = (Vec::new(), Vec::new(), Vec::new());
        for path in paths {
            let base = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = path.display().to_string();
            let (target, patch_type) = match parse_file_name(&base) {
                FileName::Patch { target, patch_type } => (target, patch_type),
                FileName::Ignored(reason) => {
                    events.info(format!("[patches] Ignoring file {base:?}: {reason}"));
                    ignored.push(base);
                    continue;
                }
                FileName::BadPatchType => return Err(PatchError::UnknownPatchType { file }),
            };
            let bytes = std::fs::read(&path).map_err(|source| PatchError::Read {
                file: file.clone(),
                source,
            })?;
            if bytes.is_empty() {
                events.info(format!("[patches] Ignoring empty file: {base:?}"));
                ignored.push(base);
                continue;
            }
            let text = String::from_utf8(bytes).map_err(|_| PatchError::Parse {
                file: file.clone(),
                document: 1,
                message: "the file is not UTF-8 text".into(),
            })?;
            files.push(PatchFile::parse(&file, target, patch_type, &text)?);
            found.push(base);
        }
        if !found.is_empty() {
            events.info(format!(
                "[patches] Found the following patch files: [{}]",
                found.join(" ")
            ));
        }
        if !ignored.is_empty() {
            events.info(format!(
                "[patches] Ignored the following files: [{}]",
                ignored.join(" ")
            ));
        }
        Ok(Patches { files })
    }

    /// The patches of `patches.directory`, or `None` when it is not set.
    pub fn load_configured(dir: Option<&str>, events: &Events) -> Result<Option<Self>, PatchError> {
        dir.map(|d| Patches::load(Path::new(d), events)).transpose()
    }

    /// Applies every patch for `target`, in order, to `value`. `lists` describes the
    /// target's type for strategic merge patches.
    pub fn apply(
        &self,
        target: &str,
        mut value: Value,
        lists: ListStrategies,
        events: &Events,
    ) -> Result<Value, PatchError> {
        for file in self.files.iter().filter(|f| f.target == target) {
            for (i, patch) in file.documents.iter().enumerate() {
                let fail = |message: String| PatchError::Apply {
                    file: file.file.clone(),
                    document: i + 1,
                    patch_type: file.patch_type,
                    target: target.to_string(),
                    message,
                };
                value = match file.patch_type {
                    PatchType::Strategic => {
                        strategic_merge(&value, patch, lists).map_err(|e| fail(e.to_string()))?
                    }
                    PatchType::Merge => {
                        json_patch::merge(&mut value, patch);
                        value
                    }
                    PatchType::Json => {
                        let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                            .map_err(|e| fail(format!("not a JSON patch: {e}")))?;
                        json_patch::patch(&mut value, &ops.0).map_err(|e| fail(e.to_string()))?;
                        value
                    }
                };
                events.info(format!(
                    "[patches] Applied patch of type {:?} to target {target:?}",
                    file.patch_type.media_type()
                ));
            }
        }
        Ok(value)
    }
}

/// Files below `dir` in the order Go's `filepath.Walk` visits them: entries sorted by
/// name, sub-directories entered where they sort, symlinks not followed.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
