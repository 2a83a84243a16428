//! Where an entry's bytes go while the month is read: cut into pieces
//! (`deflate::CHUNK`), compressed inline or by a pool of threads, and
//! spooled compressed, in order, to an unnamed temporary file. Memory holds
//! a few pieces at most, whatever the month's size; nothing reaches the
//! bundle's output before the whole month is read (`archive::assemble`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

use sha2::{Digest, Sha256};

use super::deflate::{Deflated, Deflater, Piece, CHUNK, WINDOW};

/// A piece sent to the pool, the buffer its result goes in, and where the
/// result goes.
pub struct Job {
    piece: Piece,
    out: Vec<u8>,
    reply: mpsc::Sender<Deflated>,
}

/// How pieces are compressed. Both give the same bytes.
#[derive(Clone)]
pub enum Compressor {
    /// On the writing thread, as each piece fills.
    Inline,
    /// By the pool's threads (`spawn_pool`), while the writer goes on.
    Pool(SyncSender<Job>),
}

/// Starts `threads` compressing threads in `scope`; they stop when every
/// clone of the returned compressor is dropped.
pub fn spawn_pool<'scope>(scope: &'scope Scope<'scope, '_>, threads: usize) -> Compressor {
    // Two pieces queued per thread keep them busy; more would only hold memory.
    let (tx, rx) = mpsc::sync_channel::<Job>(threads * 2);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..threads {
        let rx = rx.clone();
        scope.spawn(move || {
            let mut deflater = Deflater::default();
            loop {
                let job = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                // The writer may have given up (an error): nothing to do.
                let _ = job.reply.send(deflater.deflate(job.piece, job.out, false));
            }
        });
    }
    Compressor::Pool(tx)
}

enum Pending {
    Done(Deflated),
    Waiting(Receiver<Deflated>),
}

/// Results held per entry before the oldest is waited for.
const MAX_PENDING: usize = 4;
/// Finished pieces whose buffers a sink keeps for its next pieces.
const SPARE_KEPT: usize = 2;

/// One entry being written: counts and hashes its bytes, and spools them
/// compressed.
pub struct EntrySink {
    compressor: Compressor,
    inline: Option<Deflater>,
    buf: Vec<u8>,
    dictionary: Vec<u8>,
    /// Buffers of pieces done, for the next ones: a sink reuses its few.
    spare: Vec<Deflated>,
    sha256: Sha256,
    size: u64,
    pending: VecDeque<Pending>,
    crc: crc32fast::Hasher,
    out: BufWriter<File>,
}

/// An entry written whole: what the manifest and the tar header need, and
/// its compressed pieces.
pub struct SpooledEntry {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub crc: crc32fast::Hasher,
    pub compressed: File,
}

impl EntrySink {
    /// A sink spooling into an unnamed file in `dir`.
    pub fn new(dir: &Path, compressor: Compressor) -> io::Result<Self> {
        let inline = matches!(compressor, Compressor::Inline).then(Deflater::default);
        Ok(EntrySink {
            compressor,
            inline,
            buf: Vec::with_capacity(CHUNK),
            dictionary: Vec::new(),
            spare: Vec::new(),
            sha256: Sha256::new(),
            size: 0,
            pending: VecDeque::new(),
            crc: crc32fast::Hasher::new(),
            out: BufWriter::with_capacity(1 << 16, tempfile::tempfile_in(dir)?),
        })
    }

    fn submit(&mut self) -> io::Result<()> {
        let (mut next_buf, mut next_dictionary, out) = match self.spare.pop() {
            Some(done) => (done.piece.data, done.piece.dictionary, done.bytes),
            None => (Vec::with_capacity(CHUNK), Vec::with_capacity(WINDOW), Vec::new()),
        };
        next_buf.clear();
        std::mem::swap(&mut self.buf, &mut next_buf);
        let data = next_buf;
        self.sha256.update(&data);
        next_dictionary.clear();
        next_dictionary.extend_from_slice(&data[data.len().saturating_sub(WINDOW)..]);
        let piece = Piece { dictionary: std::mem::replace(&mut self.dictionary, next_dictionary), data };
        match (&self.compressor, &mut self.inline) {
            (_, Some(deflater)) => {
                let done = deflater.deflate(piece, out, false);
                self.pending.push_back(Pending::Done(done));
            }
            (Compressor::Pool(tx), None) => {
                let (reply, result) = mpsc::channel();
                tx.send(Job { piece, out, reply }).map_err(|_| pool_gone())?;
                self.pending.push_back(Pending::Waiting(result));
            }
            (Compressor::Inline, None) => unreachable!("an inline sink has its deflater"),
        }
        self.drain(MAX_PENDING)
    }

    /// Writes out finished results in order, waiting for the oldest while
    /// more than `keep` are pending.
    fn drain(&mut self, keep: usize) -> io::Result<()> {
        while let Some(front) = self.pending.pop_front() {
            let done = match front {
                Pending::Done(done) => done,
                Pending::Waiting(rx) if self.pending.len() >= keep => rx.recv().map_err(|_| pool_gone())?,
                Pending::Waiting(rx) => match rx.try_recv() {
                    Ok(done) => done,
                    Err(mpsc::TryRecvError::Empty) => {
                        self.pending.push_front(Pending::Waiting(rx));
                        return Ok(());
                    }
                    Err(mpsc::TryRecvError::Disconnected) => return Err(pool_gone()),
                },
            };
            self.out.write_all(&done.bytes)?;
            self.crc.combine(&done.crc);
            if self.spare.len() < SPARE_KEPT {
                self.spare.push(done);
            }
        }
        Ok(())
    }

    /// The entry as spooled, named `name`.
    pub fn finish(mut self, name: &str) -> io::Result<SpooledEntry> {
        if !self.buf.is_empty() {
            self.submit()?;
        }
        self.drain(0)?;
        let mut compressed = self.out.into_inner().map_err(|e| e.into_error())?;
        compressed.seek(SeekFrom::Start(0))?;
        Ok(SpooledEntry {
            name: name.to_owned(),
            size: self.size,
            sha256: hex::encode(self.sha256.finalize()),
            crc: self.crc,
            compressed,
        })
    }
}

fn pool_gone() -> io::Error {
    io::Error::other("a compressing thread stopped")
}

impl Write for EntrySink {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let n = data.len();
        while !data.is_empty() {
            let room = CHUNK - self.buf.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() == CHUNK {
                self.submit()?;
            }
        }
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
