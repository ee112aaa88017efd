//! Control side: a project and its samples as one file (`.quaver`), to move a whole project
//! between machines: the project JSON with its history, then each sample its clips use as a
//! 32-bit float WAV at the sample's own rate (lossless for anything a clip plays).
//!
//! ```text
//! "QVRBNDL1"   8 bytes
//! u32 LE       length of the project JSON, then the JSON (what `file::save` writes)
//! u32 LE       number of samples, then for each:
//!              u32 LE name length, the name (UTF-8), u32 LE WAV length, the WAV file
//! ```
//! Every length is checked against what is left before anything is read, so a truncated or
//! forged bundle is an error that says where, never a huge allocation.

use super::assets::{referenced_in_history, Sample, Samples};
use super::edit::History;
use super::{file, SessionError};
use crate::formats::wav::{write_wav, Audio, SampleFormat};
use std::sync::Arc;

pub const MAGIC: &[u8; 8] = b"QVRBNDL1";
/// The most samples a bundle may hold.
const MAX_SAMPLES: u32 = 10_000;
/// The longest sample name taken.
const MAX_NAME_BYTES: u32 = 1024;

fn bad(message: String) -> SessionError {
    SessionError::File(format!("bundle: {message}"))
}

pub fn is_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The project, its history, and every sample that `samples` holds of those the project and its
/// undo and redo steps use (an undone removal plays its clip again after the trip).
pub fn write(history: &History, samples: &Samples) -> Result<Vec<u8>, SessionError> {
    let json = file::save(history);
    let used: Vec<_> =
        referenced_in_history(history).into_iter().filter_map(|n| samples.get(&n).map(|s| (n, s))).collect();
    let mut out = Vec::with_capacity(json.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(&(used.len() as u32).to_le_bytes());
    for (name, sample) in used {
        let audio = Audio { sample_rate: sample.sample_rate.round() as u32, channels: sample.channels.clone() };
        let wav = write_wav(&audio, SampleFormat::Float32, false).map_err(|e| bad(format!("sample '{name}': {e}")))?;
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(wav.len() as u32).to_le_bytes());
        out.extend_from_slice(&wav);
    }
    Ok(out)
}

/// Reads bytes off the front of a bundle, each read checked against what is left.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], SessionError> {
        if n > self.rest.len() {
            return Err(bad(format!(
                "{what} claims {n} bytes but only {} are left (the file is cut short)",
                self.rest.len()
            )));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn u32(&mut self, what: &str) -> Result<u32, SessionError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The project (checked as `file::load` checks it) and its samples (checked as any sample is).
pub fn read(bytes: &[u8]) -> Result<(History, Samples), SessionError> {
    if !is_bundle(bytes) {
        return Err(bad("not a Quaver bundle (it does not start with QVRBNDL1)".into()));
    }
    let mut r = Reader { rest: &bytes[MAGIC.len()..] };
    let json_len = r.u32("the project's length")? as usize;
    let json = core::str::from_utf8(r.take(json_len, "the project")?)
        .map_err(|_| bad("the project is not UTF-8 text".into()))?;
    let history = file::load(json)?;
    let count = r.u32("the number of samples")?;
    if count > MAX_SAMPLES {
        return Err(bad(format!("{count} samples (at most {MAX_SAMPLES} are taken)")));
    }
    let mut samples = Samples::new();
    for i in 0..count {
        let name_len = r.u32(&format!("sample {i}'s name length"))?;
        if name_len == 0 || name_len > MAX_NAME_BYTES {
            return Err(bad(format!("sample {i} has a name of {name_len} bytes (1–{MAX_NAME_BYTES} are taken)")));
        }
        let name = core::str::from_utf8(r.take(name_len as usize, &format!("sample {i}'s name"))?)
            .map_err(|_| bad(format!("sample {i}'s name is not UTF-8")))?
            .to_string();
        let wav_len = r.u32(&format!("sample '{name}'"))? as usize;
        let wav = r.take(wav_len, &format!("sample '{name}'"))?;
        let sample = Sample::from_wav(wav).map_err(|e| bad(format!("sample '{name}': {e}")))?;
        samples.insert(name, Arc::new(sample));
    }
    if !r.rest.is_empty() {
        return Err(bad(format!("{} bytes follow the last sample", r.rest.len())));
    }
    Ok((history, samples))
}
