//! `DIR/.insider-bulk-sync.json`: what the directory holds and what the
//! index said last time. It is written only when it changed, and always
//! whole (temporary file, fsync, rename), so a run that finds nothing new
//! writes nothing and a crash never leaves half a state file.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SyncError;

pub const FILE_NAME: &str = ".insider-bulk-sync.json";
/// 2: the index's `files` (a month's `.jsonl.gz` and its tar.gz by the
/// server's names). 1 was the tar.gz-only layout of the `months` index.
const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// By form type (`"4"`).
    pub forms: BTreeMap<String, FormState>,
    /// By the server's file name (`form-4-2024-09.jsonl.gz`, `form-4-2024-09.tar.gz`).
    pub files: BTreeMap<String, FileState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    /// The index's ETag, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// By month (`2024-09`): every month the index lists, pending ones too,
    /// since their file names come from the index and a download builds them.
    pub months: BTreeMap<String, SeenEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenEntry {
    /// `available` or `pending`.
    pub status: String,
    /// The month's `.jsonl.gz`.
    pub file: SeenFile,
    /// The month's tar.gz, once built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<SeenFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenFile {
    pub filename: String,
    /// Absent before the file's first build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    pub sha256: String,
    pub size: u64,
    /// Nanoseconds since the epoch: a file whose size or mtime moved is hashed again.
    pub mtime_ns: u64,
}

impl Default for State {
    fn default() -> Self {
        State { version: VERSION, forms: BTreeMap::new(), files: BTreeMap::new() }
    }
}

/// Only the version, read before the rest so that an older layout is told
/// apart from a damaged file.
#[derive(Deserialize)]
struct Version {
    version: u32,
}

impl State {
    /// The directory's state, or a fresh one; a state file of an older
    /// layout is set aside with a notice (`Some`): its files are hashed
    /// again and the index fetched whole, which costs one full sync.
    pub fn load(dir: &Path) -> Result<(State, Option<String>), SyncError> {
        let path = dir.join(FILE_NAME);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((State::default(), None)),
            Err(e) => return Err(SyncError::io(path)(e)),
        };
        let damaged = |e: serde_json::Error| SyncError::State {
            path: path.clone(),
            reason: format!("{e} (delete it to start afresh)"),
        };
        let Version { version } = serde_json::from_slice(&bytes).map_err(damaged)?;
        if version < VERSION {
            let notice = format!(
                "{}: version {version} is the layout of an older insider-bulk (tar.gz bundles only); \
                 starting afresh: files already here are hashed again, and it is rewritten as version {VERSION}",
                path.display()
            );
            return Ok((State::default(), Some(notice)));
        }
        if version > VERSION {
            return Err(SyncError::State {
                path,
                reason: format!("version {version} is newer than this insider-bulk's {VERSION}: upgrade it"),
            });
        }
        let state: State = serde_json::from_slice(&bytes).map_err(damaged)?;
        Ok((state, None))
    }

    pub fn save(&self, dir: &Path) -> Result<(), SyncError> {
        let mut body = serde_json::to_vec_pretty(self).expect("plain data serializes");
        body.push(b'\n');
        write_atomically(dir, FILE_NAME, &body)
    }
}

/// Writes `name` in `dir` through a temporary file, fsynced before and
/// after the rename so that the new content survives a power cut.
fn write_atomically(dir: &Path, name: &str, body: &[u8]) -> Result<(), SyncError> {
    let temp = dir.join(format!("{name}.tmp"));
    let mut file = std::fs::File::create(&temp).map_err(SyncError::io(&temp))?;
    file.write_all(body).and_then(|()| file.sync_all()).map_err(SyncError::io(&temp))?;
    let path = dir.join(name);
    std::fs::rename(&temp, &path).map_err(SyncError::io(&path))?;
    sync_dir(dir)
}

/// Makes a rename in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), SyncError> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(SyncError::io(dir))
}

/// What a local file is, from its metadata.
pub fn stat(path: &Path) -> std::io::Result<Option<(u64, u64)>> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let mtime = meta.modified()?.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
            Ok(Some((meta.len(), mtime)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The sha256 of what is on disk under `name`, trusting the state while the
/// size and mtime are the ones it recorded (or hashing anyway with
/// `rehash`). Returns the file's current record, or `None` if it is absent.
pub fn local_file(
    dir: &Path,
    name: &str,
    recorded: Option<&FileState>,
    rehash: bool,
) -> Result<Option<FileState>, SyncError> {
    let path = dir.join(name);
    let Some((size, mtime_ns)) = stat(&path).map_err(SyncError::io(&path))? else { return Ok(None) };
    if let Some(known) = recorded.filter(|k| !rehash && k.size == size && k.mtime_ns == mtime_ns) {
        return Ok(Some(known.clone()));
    }
    let sha256 = hash_file(&path).map_err(SyncError::io(&path))?;
    Ok(Some(FileState { sha256, size, mtime_ns }))
}

pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    hash_into(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Feeds everything `reader` gives into `hasher`, in bounded memory.
pub fn hash_into(reader: &mut impl Read, hasher: &mut Sha256) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok(total);
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusts_size_and_mtime_and_rehashes_when_asked_or_moved() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"one").unwrap();
        let fresh = local_file(dir.path(), "f", None, false).unwrap().unwrap();
        assert_eq!(fresh.sha256, hex::encode(Sha256::digest(b"one")));
        let recorded = FileState { sha256: "recorded".into(), ..fresh.clone() };
        assert_eq!(local_file(dir.path(), "f", Some(&recorded), false).unwrap().unwrap().sha256, "recorded");
        assert_eq!(local_file(dir.path(), "f", Some(&recorded), true).unwrap().unwrap(), fresh, "--verify");
        let moved = FileState { mtime_ns: fresh.mtime_ns - 1, ..recorded };
        assert_eq!(local_file(dir.path(), "f", Some(&moved), false).unwrap().unwrap(), fresh);
        assert_eq!(local_file(dir.path(), "absent", None, false).unwrap(), None);
    }

    #[test]
    fn saves_whole_and_loads_what_it_saved() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), (State::default(), None), "no state file yet");
        let mut state = State::default();
        state.files.insert("form-4-2024-09.jsonl.gz".into(), FileState { sha256: "ab".into(), size: 1, mtime_ns: 2 });
        let file = SeenFile { filename: "form-4-2024-09.jsonl.gz".into(), sha256: None, size: None };
        let entry = SeenEntry { status: "pending".into(), file, bundle: None, storage: None };
        state.forms.entry("4".into()).or_default().months.insert("2024-09".into(), entry);
        state.save(dir.path()).unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), (state, None));
        assert!(!dir.path().join(format!("{FILE_NAME}.tmp")).exists());
        std::fs::write(dir.path().join(FILE_NAME), b"{").unwrap();
        assert!(matches!(State::load(dir.path()), Err(SyncError::State { .. })));
        std::fs::write(dir.path().join(FILE_NAME), br#"{"version":3,"forms":{},"files":{}}"#).unwrap();
        assert!(matches!(State::load(dir.path()), Err(SyncError::State { .. })), "a newer layout is not overwritten");
    }

    #[test]
    fn an_older_layout_starts_afresh_with_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"version":1,"forms":{"4":{"etag":"\"e\"","months":{"2024-09":{"status":"available",
            "sha256":"ab","size":1,"storage":"hot"}}}},"files":{"form-4-2024-09.tar.gz":{"sha256":"ab","size":1,"mtime_ns":2}}}"#;
        std::fs::write(dir.path().join(FILE_NAME), old).unwrap();
        let (state, notice) = State::load(dir.path()).unwrap();
        assert_eq!(state, State::default());
        assert!(notice.unwrap().contains("version 1 is the layout of an older insider-bulk"));
    }
}
