//! The library's SQLite database: one row per file path with its size, time, content hash and
//! analysis (or the error that stopped it), indexed for the queries a musician makes — tempo
//! range, key, kind, length, loudness — with copies of one content shown once.

use super::Found;
use crate::analysis::key::Key;
use crate::analysis::summary::{FileKind, Record};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;
use std::path::Path;

/// The schema this build writes. A database from a newer build is refused untouched.
pub const SCHEMA_VERSION: i64 = 1;

/// What went wrong with the database (never with one file: those are rows).
#[derive(Debug)]
pub struct LibraryError(pub String);

impl core::fmt::Display for LibraryError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LibraryError {}

impl From<rusqlite::Error> for LibraryError {
    fn from(e: rusqlite::Error) -> Self {
        LibraryError(format!("library database: {e}"))
    }
}

const COLUMNS: &str = "path, size, modified, hash, kind, seconds, bpm, tempo_confidence, key, key_confidence, \
     declared_key, key_disagrees, loudness_lufs, loudness_range_lu, true_peak_dbtp, sample_rate, channels, notes, error";

/// An open library database.
#[derive(Debug)]
pub struct Library {
    connection: Connection,
}

impl Library {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, LibraryError> {
        let connection = Connection::open(path).map_err(|e| LibraryError(format!("{}: {e}", path.display())))?;
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| LibraryError(format!("{}: not a library database ({e})", path.display())))?;
        if version > SCHEMA_VERSION {
            return Err(LibraryError(format!(
                "{} was made by a newer Quaver (library schema {version}; this one reads up to {SCHEMA_VERSION}); \
                 it was left as it was",
                path.display()
            )));
        }
        // WAL: readers (a query while a scan runs) do not block the writer, and a killed scan
        // leaves every committed batch in place.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS files (
                path TEXT PRIMARY KEY,
                size INTEGER, modified INTEGER, hash TEXT, kind TEXT, seconds REAL,
                bpm REAL, tempo_confidence REAL, key TEXT, key_confidence REAL,
                declared_key TEXT, key_disagrees INTEGER,
                loudness_lufs REAL, loudness_range_lu REAL, true_peak_dbtp REAL,
                sample_rate INTEGER, channels INTEGER, notes INTEGER, error TEXT
            );
            CREATE INDEX IF NOT EXISTS files_hash ON files(hash);
            CREATE INDEX IF NOT EXISTS files_bpm ON files(bpm);
            CREATE INDEX IF NOT EXISTS files_key ON files(key);",
        )?;
        connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Self { connection })
    }

    /// Every stored path with its size and time, to tell what changed.
    pub fn known_files(&self) -> Result<HashMap<String, (u64, i64)>, LibraryError> {
        let mut statement = self.connection.prepare("SELECT path, size, modified FROM files WHERE size IS NOT NULL")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, i64>(1)? as u64, r.get(2)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores records (each with the size and time it was read at, if it is a file) in one
    /// transaction, replacing earlier rows of the same paths.
    pub fn store<'a>(
        &mut self,
        rows: impl IntoIterator<Item = (&'a Record, Option<&'a Found>)>,
    ) -> Result<(), LibraryError> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert = transaction.prepare_cached(&format!(
                "INSERT OR REPLACE INTO files ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
            ))?;
            for (r, found) in rows {
                insert.execute(params![
                    r.file,
                    found.map(|f| f.size as i64),
                    found.map(|f| f.modified),
                    r.hash,
                    r.kind.map(FileKind::as_str),
                    r.seconds,
                    r.bpm,
                    r.tempo_confidence,
                    r.key.map(|k| k.to_string()),
                    r.key_confidence,
                    r.declared_key.map(|k| k.to_string()),
                    r.key_disagrees,
                    r.loudness_lufs,
                    r.loudness_range_lu,
                    r.true_peak_dbtp,
                    r.sample_rate,
                    r.channels,
                    r.notes.map(|n| n as i64),
                    r.error,
                ])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Rows matching `filter`, by path; with `filter.copies` false, one row per content (the
    /// first path in order), each with how many files hold it.
    pub fn query(&self, filter: &Filter) -> Result<Vec<(Record, u64)>, LibraryError> {
        let mut conditions = vec![if filter.errors { "error IS NOT NULL" } else { "error IS NULL" }.to_string()];
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut range = |column: &str, bounds: Option<(f64, f64)>| {
            if let Some((lo, hi)) = bounds {
                conditions.push(format!("{column} BETWEEN ? AND ?"));
                values.push(lo.into());
                values.push(hi.into());
            }
        };
        range("bpm", filter.bpm);
        range("seconds", filter.seconds);
        range("loudness_lufs", filter.loudness);
        if let Some(key) = filter.key {
            conditions.push("key = ?".into());
            values.push(key.to_string().into());
        }
        if let Some(kind) = filter.kind {
            conditions.push("kind = ?".into());
            values.push(kind.as_str().to_string().into());
        }
        let condition = conditions.join(" AND ");
        let sql = if filter.copies || filter.errors {
            format!("SELECT {COLUMNS}, 1 FROM files WHERE {condition} ORDER BY path")
        } else {
            // One row per content: the first path of each hash.
            format!(
                "SELECT {COLUMNS}, copies FROM files JOIN (SELECT MIN(path) AS first, COUNT(*) AS copies FROM files \
                 WHERE {condition} GROUP BY hash) ON path = first ORDER BY path"
            )
        };
        let mut statement = self.connection.prepare(&sql)?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(values.iter()), |r| Ok((record(r)?, r.get::<_, i64>(19)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored record of `path`, if any.
    pub fn get(&self, path: &str) -> Result<Option<Record>, LibraryError> {
        Ok(self
            .connection
            .query_row(&format!("SELECT {COLUMNS} FROM files WHERE path = ?1"), [path], record)
            .optional()?)
    }

    /// How many rows the library holds, and how many of them are errors.
    pub fn counts(&self) -> Result<(u64, u64), LibraryError> {
        Ok(self.connection.query_row("SELECT COUNT(*), COUNT(error) FROM files", [], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?)
    }
}

fn record(r: &Row<'_>) -> rusqlite::Result<Record> {
    let key = |text: Option<String>| text.and_then(|t| t.parse::<Key>().ok());
    Ok(Record {
        file: r.get(0)?,
        hash: r.get(3)?,
        kind: r.get::<_, Option<String>>(4)?.map(|k| {
            if k == FileKind::Midi.as_str() {
                FileKind::Midi
            } else {
                FileKind::Audio
            }
        }),
        seconds: r.get(5)?,
        bpm: r.get(6)?,
        tempo_confidence: r.get(7)?,
        key: key(r.get(8)?),
        key_confidence: r.get(9)?,
        declared_key: key(r.get(10)?),
        key_disagrees: r.get(11)?,
        loudness_lufs: r.get(12)?,
        loudness_range_lu: r.get(13)?,
        true_peak_dbtp: r.get(14)?,
        sample_rate: r.get(15)?,
        channels: r.get(16)?,
        notes: r.get::<_, Option<i64>>(17)?.map(|n| n as u64),
        error: r.get(18)?,
    })
}

/// What a query asks for; `None` matches anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Inclusive tempo range.
    pub bpm: Option<(f64, f64)>,
    pub key: Option<Key>,
    pub kind: Option<FileKind>,
    pub seconds: Option<(f64, f64)>,
    pub loudness: Option<(f64, f64)>,
    /// Every path, copies too (otherwise one row per content).
    pub copies: bool,
    /// The files that could not be analysed, instead of those that were.
    pub errors: bool,
}

/// "120..128" (or "120-128", or "124" for exactly that) as an inclusive range.
pub fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let bad = || format!("{text:?} is not a range: write it like 120..128");
    let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let (lo, hi) = match text.split_once("..") {
        Some((a, b)) => (number(a).ok_or_else(bad)?, number(b).ok_or_else(bad)?),
        None => match number(text) {
            Some(v) => (v, v),
            // A dash only between numbers, so "-23..-14" style ranges of negative levels work above.
            None => {
                let (a, b) = text.rsplit_once('-').ok_or_else(bad)?;
                (number(a).ok_or_else(bad)?, number(b).ok_or_else(bad)?)
            }
        },
    };
    if lo > hi {
        return Err(format!("{text:?}: the range runs backwards"));
    }
    Ok((lo, hi))
}
