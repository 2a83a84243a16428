//! The bundle's gzip stream, built from pieces that compress independently
//! (as pigz does): each entry's bytes are cut every [`CHUNK`] bytes, counted
//! from the start of the entry, and each piece is deflated on its own and
//! ended with a sync flush, so that the pieces concatenate into one valid
//! deflate stream. A piece's compressed bytes depend only on its own bytes
//! and on the piece before it in the same entry (its last 32 KiB are the
//! dictionary), never on which thread compressed it or when: the serial
//! and the parallel pack give the same bytes.

use flate2::{Compress, Compression, FlushCompress, Status};

use super::archive::GZIP_LEVEL;

/// Bytes of an entry per piece. 1 MiB keeps the ratio within a fraction of
/// a percent of one stream (with the dictionary) and gives a 200 MB month
/// about two hundred pieces to spread over the cores.
pub const CHUNK: usize = 1 << 20;
/// deflate's window: the most of the previous piece a piece can refer to.
pub const WINDOW: usize = 32 * 1024;

/// A piece of the tar stream to compress: `dictionary` is the end of the
/// bytes before it in the same entry (empty for an entry's first piece).
pub struct Piece {
    pub dictionary: Vec<u8>,
    pub data: Vec<u8>,
}

/// A compressed piece, the CRC-32 of its uncompressed bytes, and the piece
/// itself handed back, so that its buffers serve the next one (fresh
/// megabytes cost a page fault and the kernel's zeroing per page).
pub struct Deflated {
    pub bytes: Vec<u8>,
    pub crc: crc32fast::Hasher,
    pub piece: Piece,
}

/// A reusable raw-deflate compressor at the bundle's level.
pub struct Deflater {
    compress: Compress,
}

impl Default for Deflater {
    fn default() -> Self {
        Deflater { compress: Compress::new(Compression::new(GZIP_LEVEL), false) }
    }
}

impl Deflater {
    /// `piece` as raw deflate, ended byte-aligned (sync flush), or with the
    /// final block when `last`, written into `out` (emptied first).
    pub fn deflate(&mut self, piece: Piece, mut out: Vec<u8>, last: bool) -> Deflated {
        let c = &mut self.compress;
        c.reset();
        if !piece.dictionary.is_empty() {
            c.set_dictionary(&piece.dictionary).expect("a dictionary is accepted before the first byte");
        }
        let flush = if last { FlushCompress::Finish } else { FlushCompress::Sync };
        out.clear();
        out.reserve(piece.data.len() / 4 + 1024);
        let start = c.total_in();
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(out.capacity());
            }
            let consumed = (c.total_in() - start) as usize;
            let status = c.compress_vec(&piece.data[consumed..], &mut out, flush).expect("deflate on a valid stream");
            let all_in = (c.total_in() - start) as usize == piece.data.len();
            // A flush is complete once a call leaves output room unused.
            let done = if last { status == Status::StreamEnd } else { all_in && out.len() < out.capacity() };
            if done {
                break;
            }
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&piece.data);
        Deflated { bytes: out, crc, piece }
    }
}

/// gzip's header: no name, no time, XFL 0 (level 6 is neither fastest nor
/// best), OS 255 ("unknown") so that the host does not show.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// gzip's trailer: CRC-32 and length (mod 2^32) of the uncompressed bytes.
pub fn gzip_trailer(crc: &crc32fast::Hasher) -> [u8; 8] {
    let mut t = [0; 8];
    t[..4].copy_from_slice(&crc.clone().finalize().to_le_bytes());
    t[4..].copy_from_slice(&(crc.total_len() as u32).to_le_bytes());
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn pieces_concatenate_into_one_gzip_member() {
        let text: Vec<u8> = (0..300_000u32).flat_map(|i| format!("row {i}\t{}\n", i % 97).into_bytes()).collect();
        let mut d = Deflater::default();
        let mut gz = GZIP_HEADER.to_vec();
        let mut crc = crc32fast::Hasher::new();
        let mut previous: &[u8] = &[];
        for part in text.chunks(CHUNK) {
            let dictionary = previous[previous.len().saturating_sub(WINDOW)..].to_vec();
            let piece = d.deflate(Piece { dictionary, data: part.to_vec() }, Vec::new(), false);
            gz.extend(&piece.bytes);
            crc.combine(&piece.crc);
            previous = part;
        }
        let end = d.deflate(Piece { dictionary: Vec::new(), data: vec![0; 1024] }, Vec::new(), true);
        gz.extend(&end.bytes);
        crc.combine(&end.crc);
        gz.extend(gzip_trailer(&crc));

        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut back).unwrap();
        assert_eq!(back.len(), text.len() + 1024);
        assert!(back.starts_with(&text));
    }
}
