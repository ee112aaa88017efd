//! Native only: a library of audio and MIDI files analysed into an SQLite database. A scan walks
//! a folder (symlink loops reported, not followed round), skips files whose size and time are
//! unchanged since they were stored, analyses the rest on every core (rayon) and stores rows
//! in batched transactions from one writer thread, so stopping it at any moment loses only the
//! batch in flight — the next scan does those again.

pub mod store;

use crate::analysis::summary::Record;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, UNIX_EPOCH};
pub use store::{Filter, Library, LibraryError};

/// Extensions a scan analyses (lower case); anything else in the folder is left alone.
pub const EXTENSIONS: [&str; 13] =
    ["mid", "midi", "kar", "rmi", "smf", "wav", "wave", "mp3", "flac", "ogg", "oga", "m4a", "aac"];
/// Files at least this big are memory-mapped instead of read: no copy of a long recording.
const MAP_FROM_BYTES: u64 = 256 * 1024;
/// Rows per transaction, and the longest a finished row waits to be stored.
const BATCH_ROWS: usize = 2000;
const BATCH_WAIT: Duration = Duration::from_millis(500);

/// The bytes of a file: mapped when large, read when small (mapping a 3 KB MIDI file costs
/// more system calls than reading it).
enum Contents {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Contents {
    fn bytes(&self) -> &[u8] {
        match self {
            Contents::Read(v) => v,
            Contents::Mapped(m) => m,
        }
    }
}

fn contents(path: &Path) -> std::io::Result<Contents> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() < MAP_FROM_BYTES {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes)?;
        return Ok(Contents::Read(bytes));
    }
    // SAFETY: the map is read-only and dropped before this scan moves on; a file truncated by
    // another program meanwhile can fault the reading thread, which is the accepted cost of
    // not copying multi-gigabyte recordings (the issue asks for memory-mapped reads).
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Contents::Mapped(map))
}

/// One file analysed: its record, its name as given.
pub fn analyze_path(path: &Path) -> Record {
    let name = path.to_string_lossy().into_owned();
    match contents(path) {
        Ok(c) => Record::of_bytes(name, Ok(c.bytes())),
        Err(e) => Record::of_bytes(name, Err(format!("cannot read the file: {e}"))),
    }
}

/// Whether a scan analyses `path` (by its extension).
pub fn is_candidate(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// A file found by a scan, with what tells whether it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub size: u64,
    /// Nanoseconds since 1970 of its last modification.
    pub modified: i64,
}

/// Candidate files under `dir`, and a record for every place the walk could not go (an
/// unreadable folder, a symlink loop).
pub fn walk(dir: &Path) -> (Vec<Found>, Vec<Record>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() && is_candidate(e.path()) => match e.metadata() {
                Ok(m) => found.push(Found {
                    path: e.path().to_path_buf(),
                    size: m.len(),
                    modified: m
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos() as i64),
                }),
                Err(err) => problems.push(walk_problem(e.path(), &err)),
            },
            Ok(_) => {}
            Err(err) => {
                let path = err.path().map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
                problems.push(walk_problem(&path, &err));
            }
        }
    }
    (found, problems)
}

fn walk_problem(path: &Path, err: &walkdir::Error) -> Record {
    let message = match err.loop_ancestor() {
        Some(ancestor) => format!("a symlink loop: this leads back to {}", ancestor.display()),
        None => format!("cannot read: {}", err.io_error().map_or_else(|| err.to_string(), ToString::to_string)),
    };
    Record { file: path.to_string_lossy().into_owned(), error: Some(message), ..Record::default() }
}

/// What a scan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Candidate files in the folder.
    pub found: usize,
    /// Left alone: stored before with the same size and time.
    pub unchanged: usize,
    /// Analysed and stored now.
    pub analysed: usize,
    /// Of those, the ones stored with an error (plus places the walk could not go).
    pub errors: usize,
}

/// Scans `dir` into `library`. `progress` is called from the writer with (stored, to do)
/// after every batch.
pub fn scan(
    dir: &Path,
    library: &mut Library,
    mut progress: impl FnMut(usize, usize) + Send,
) -> Result<ScanReport, LibraryError> {
    let (found, problems) = walk(dir);
    let known = library.known_files()?;
    let total = found.len();
    let todo: Vec<Found> =
        found.into_iter().filter(|f| known.get(&*f.path.to_string_lossy()) != Some(&(f.size, f.modified))).collect();
    let mut report = ScanReport { found: total, unchanged: total - todo.len(), ..ScanReport::default() };
    report.errors += problems.len();
    library.store(problems.iter().map(|r| (r, None)))?;
    let (sender, receiver) = mpsc::sync_channel::<(Record, Found)>(4 * BATCH_ROWS);
    let count = todo.len();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(usize, usize), LibraryError> {
            let (mut stored, mut errors) = (0, 0);
            let mut batch: Vec<(Record, Found)> = Vec::with_capacity(BATCH_ROWS);
            let mut since = Instant::now();
            loop {
                let next = receiver.recv_timeout(BATCH_WAIT);
                let finished = matches!(next, Err(mpsc::RecvTimeoutError::Disconnected));
                if let Ok(item) = next {
                    errors += usize::from(item.0.error.is_some());
                    batch.push(item);
                }
                if !batch.is_empty() && (finished || batch.len() >= BATCH_ROWS || since.elapsed() >= BATCH_WAIT) {
                    library.store(batch.iter().map(|(r, f)| (r, Some(f))))?;
                    stored += batch.len();
                    batch.clear();
                    since = Instant::now();
                    progress(stored, count);
                }
                if finished {
                    return Ok((stored, errors));
                }
            }
        });
        todo.into_par_iter().for_each_with(sender, |sender, f| {
            let record = analyze_path(&f.path);
            // The writer only stops early on a database error, which the scan reports.
            let _ = sender.send((record, f));
        });
        let (stored, errors) = writer.join().expect("the writer thread does not panic")?;
        report.analysed = stored;
        report.errors += errors;
        Ok(report)
    })
}
