//! Reading files named on the command line or in a configuration: regular files only, and no
//! larger than a stated limit, so `--config /dev/zero` is an error rather than the OOM killer.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::Path;

use super::ConfigError;

/// The largest `--config` file read: far above any real kubeadm configuration.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// A regular file's bytes, at most `limit` of them; any other file (device, FIFO, directory,
/// socket) or a larger one is an error whose message says which (`io::ErrorKind::InvalidInput`
/// or `FileTooLarge`).
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let (file, meta) = open_bounded(path, limit)?;
    read_opened(&file, &meta, limit)
}

/// `path` opened for reading, with its metadata: a regular file of at most `limit` bytes
/// (the errors of [`read_bounded`] otherwise).
pub fn open_bounded(path: &Path, limit: u64) -> std::io::Result<(fs::File, fs::Metadata)> {
    // Non-blocking, so a FIFO that was swapped in after the check cannot hang the open.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_fifo() {
            "a FIFO"
        } else {
            "a socket"
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("it is {what}, not a regular file"),
        ));
    }
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok((file, meta))
}

/// The bytes of a file `open_bounded` opened (`meta` is what it found), at most `limit`.
pub fn read_opened(file: &fs::File, meta: &fs::Metadata, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte past the limit shows a file that grew after the check.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!("it is larger than the limit of {}", size(limit)),
    )
}

/// `limit` in the largest binary unit that divides it.
fn size(limit: u64) -> String {
    match limit {
        l if l >= 1 << 20 && l % (1 << 20) == 0 => format!("{} MiB", l >> 20),
        l if l >= 1 << 10 && l % (1 << 10) == 0 => format!("{} KiB", l >> 10),
        l => format!("{l} bytes"),
    }
}

/// The text of the `--config` file at `path`: a regular UTF-8 file of at most
/// [`MAX_CONFIG_BYTES`].
pub fn read_config_file(path: &str) -> Result<String, ConfigError> {
    let bad = |message: String| ConfigError::Decode {
        location: format!("reading config file {path}"),
        message,
    };
    let bytes = read_bounded(Path::new(path), MAX_CONFIG_BYTES).map_err(|e| bad(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| bad(format!("it is not UTF-8 text ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kubeadm.yaml");
        fs::write(&file, "kind: InitConfiguration\n").unwrap();
        assert_eq!(
            read_config_file(file.to_str().unwrap()).unwrap(),
            "kind: InitConfiguration\n"
        );
        assert_eq!(read_bounded(&file, 24).unwrap().len(), 24);

        let cases = [
            ("/dev/zero", "it is a character device, not a regular file"),
            (
                dir.path().to_str().unwrap(),
                "it is a directory, not a regular file",
            ),
        ];
        for (path, want) in cases {
            assert_eq!(
                read_config_file(path).unwrap_err().to_string(),
                format!("reading config file {path}: {want}")
            );
        }
        let err = read_bounded(&file, 23).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert_eq!(err.to_string(), "it is larger than the limit of 23 bytes");

        let big = dir.path().join("big.yaml");
        fs::write(&big, vec![b'#'; MAX_CONFIG_BYTES as usize + 1]).unwrap();
        let big = big.to_str().unwrap();
        assert_eq!(
            read_config_file(big).unwrap_err().to_string(),
            format!("reading config file {big}: it is larger than the limit of 4 MiB")
        );
        fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(
            read_config_file(file.to_str().unwrap())
                .unwrap_err()
                .to_string()
                .contains("it is not UTF-8 text")
        );
    }
}
