//! The deterministic tar.gz: sorted entries, a fixed mtime, uid/gid 0, mode
//! 0644, no user names, a gzip header without time or name, a pinned
//! compression backend and level, and the deflate stream cut into pieces
//! at fixed offsets (`deflate`). Same entries, same bytes, same sha256,
//! however many threads compressed them.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::deflate::{gzip_trailer, Deflater, Piece, GZIP_HEADER};
use super::spool::{Compressor, EntrySink, SpooledEntry};

/// gzip level: the `gzip -6` default, a good size/speed balance for text.
pub const GZIP_LEVEL: u32 = 6;
/// The entry written after all others whatever its name: the manifest holds
/// every other file's sha256, so a streaming reader has them all in hand
/// when it reaches it.
pub const LAST: &str = "manifest.json";
/// tar's block: headers and each entry's padded length.
const BLOCK: usize = 512;

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

/// One file of the archive: its name and where its bytes are.
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

/// `bytes` compressed as one entry, inline.
pub fn spool_bytes(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<SpooledEntry> {
    let mut sink = EntrySink::new(dir, Compressor::Inline)?;
    sink.write_all(bytes)?;
    sink.finish(name)
}

/// Writes `entries` (sorted here by name, [`LAST`] last) as a tar.gz into
/// `out` and returns `out` with the sha256 and size of the compressed
/// bytes. Each entry's tar header and the padding after it are compressed
/// here, between its pieces; `out` sees nothing before this call.
pub fn assemble<W: Write>(out: W, mut entries: Vec<SpooledEntry>, mtime: u64) -> io::Result<(W, String, u64)> {
    entries.sort_by(|a, b| (a.name == LAST, &a.name).cmp(&(b.name == LAST, &b.name)));
    let mut out = HashingWriter::new(out);
    out.write_all(&GZIP_HEADER)?;
    let mut deflater = Deflater::default();
    let mut crc = crc32fast::Hasher::new();
    // Between two entries: the padding of the one before and the header of the next.
    let mut glue = Vec::new();
    for mut entry in entries {
        glue.extend_from_slice(&tar_header(&entry.name, entry.size, mtime)?);
        let piece =
            deflater.deflate(Piece { dictionary: Vec::new(), data: std::mem::take(&mut glue) }, Vec::new(), false);
        out.write_all(&piece.bytes)?;
        crc.combine(&piece.crc);
        io::copy(&mut BufReader::with_capacity(1 << 16, &mut entry.compressed), &mut out)?;
        crc.combine(&entry.crc);
        glue.resize((BLOCK - entry.size as usize % BLOCK) % BLOCK, 0);
    }
    // tar's end: two zero blocks.
    glue.resize(glue.len() + 2 * BLOCK, 0);
    let end = deflater.deflate(Piece { dictionary: Vec::new(), data: glue }, Vec::new(), true);
    out.write_all(&end.bytes)?;
    crc.combine(&end.crc);
    out.write_all(&gzip_trailer(&crc))?;
    Ok(out.finish())
}

/// A ustar header as `tar::Builder::append_data` writes it for a short name.
fn tar_header(name: &str, size: u64, mtime: u64) -> io::Result<[u8; BLOCK]> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name)?;
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_cksum();
    Ok(*header.as_bytes())
}

/// Files and bytes as a tar.gz, compressed by `compressor` (the bench's
/// way in: the stage alone, from an extracted bundle).
pub fn write_tar_gz<W: Write>(
    out: W,
    entries: Vec<Entry>,
    mtime: u64,
    compressor: Compressor,
) -> io::Result<(W, String, u64)> {
    let dir = tempfile::tempdir()?;
    let mut spooled = Vec::new();
    for entry in entries {
        let mut sink = EntrySink::new(dir.path(), compressor.clone())?;
        match entry.source {
            EntrySource::File(path) => {
                io::copy(&mut File::open(path)?, &mut sink)?;
            }
            EntrySource::Bytes(bytes) => sink.write_all(&bytes)?,
        }
        spooled.push(sink.finish(&entry.name)?);
    }
    drop(compressor);
    assemble(out, spooled, mtime)
}
