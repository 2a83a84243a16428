//! The month's `.jsonl.gz`: one per-filing record per line, in accession
//! order, as one gzip member. Its lines are deflated in the same
//! independent pieces as the tar's entries (`spool`, `deflate`), so the
//! pool compresses them while the month is read; here the pieces are
//! framed with gzip's header (no name, no time) and trailer. Same lines,
//! same bytes, however many threads compressed them.

use std::io::{self, BufReader, Write};

use insider_bulk_core::domain::{FormType, Month};

use super::archive::HashingWriter;
use super::deflate::{gzip_trailer, Deflater, Piece, GZIP_HEADER};
use super::spool::SpooledEntry;

/// What the index row and the manifest record of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltJsonl {
    /// Of the compressed file, as downloaded.
    pub sha256: String,
    pub size: u64,
    /// Of the JSON lines themselves.
    pub content_sha256: String,
    pub content_size: u64,
}

/// `form-4-2024-07.jsonl.gz`.
pub fn file_name(form: FormType, month: Month) -> String {
    insider_bulk_core::db::bundles::jsonl_file_name(form, month)
}

/// Writes the spooled lines as a gzip file into `out`.
pub fn write<W: Write>(out: W, mut lines: SpooledEntry) -> io::Result<(W, BuiltJsonl)> {
    let mut out = HashingWriter::new(out);
    out.write_all(&GZIP_HEADER)?;
    io::copy(&mut BufReader::with_capacity(1 << 16, &mut lines.compressed), &mut out)?;
    // The pieces end byte-aligned but open; an empty final block closes the stream.
    let end = Deflater::default().deflate(Piece { dictionary: Vec::new(), data: Vec::new() }, Vec::new(), true);
    out.write_all(&end.bytes)?;
    out.write_all(&gzip_trailer(&lines.crc))?;
    let (out, sha256, size) = out.finish();
    Ok((out, BuiltJsonl { sha256, size, content_sha256: lines.sha256, content_size: lines.size }))
}
