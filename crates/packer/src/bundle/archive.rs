//! The deterministic tar.gz: sorted entries, a fixed mtime, uid/gid 0, mode
//! 0644, no user names, a gzip header without time or name, and a pinned
//! compression backend and level. Same entries, same bytes, same sha256.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;

use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

/// gzip level: the `gzip -6` default, a good size/speed balance for text.
pub const GZIP_LEVEL: u32 = 6;
/// The entry written after all others whatever its name: the manifest holds
/// every other file's sha256, so a streaming reader has them all in hand
/// when it reaches it.
pub const LAST: &str = "manifest.json";
/// The gzip header's OS byte: 255, "unknown", so the host does not show.
const GZIP_OS_UNKNOWN: u8 = 255;

/// Counts and hashes everything written through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// The inner writer, the hex sha256 and the byte count.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One file of the archive: its name and where its bytes are spooled.
pub struct Entry {
    pub name: String,
    pub source: EntrySource,
}

pub enum EntrySource {
    File(PathBuf),
    Bytes(Vec<u8>),
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `entries` (sorted here by name, [`LAST`] last) as a tar.gz into `out` and returns
/// `out` with the sha256 and size of the compressed bytes.
pub fn write_tar_gz<W: Write>(out: W, mut entries: Vec<Entry>, mtime: u64) -> io::Result<(W, String, u64)> {
    entries.sort_by(|a, b| (a.name == LAST, &a.name).cmp(&(b.name == LAST, &b.name)));
    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(GZIP_OS_UNKNOWN)
        .write(HashingWriter::new(out), Compression::new(GZIP_LEVEL));
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for entry in entries {
        let mut header = tar::Header::new_ustar();
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        match entry.source {
            EntrySource::File(path) => {
                let file = File::open(&path)?;
                header.set_size(file.metadata()?.len());
                tar.append_data(&mut header, &entry.name, BufReader::with_capacity(1 << 16, file))?;
            }
            EntrySource::Bytes(bytes) => {
                header.set_size(bytes.len() as u64);
                tar.append_data(&mut header, &entry.name, bytes.as_slice())?;
            }
        }
    }
    let gz = tar.into_inner()?;
    let hashing = gz.finish()?;
    Ok(hashing.finish())
}
