//! Control side: a project's samples — the decoded audio its audio clips play. They live beside
//! the project, not in its JSON (a project names a sample; the page keeps the audio in
//! IndexedDB, the CLI reads it from files), and are shared (`Arc`) between the live graph and a
//! bounce, so neither copies them until a clip's node is made.

use super::project::{ClipContent, Project};
use super::SessionError;
use crate::formats::wav::{read_wav, Audio};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Channels a sample may have (mono or stereo: clips play into a stereo strip).
pub const MAX_SAMPLE_CHANNELS: usize = 2;
/// Frames a sample may have: ten minutes at 96 kHz, what the engine takes in one setting.
pub const MAX_SAMPLE_FRAMES: usize = 96_000 * 600;

/// Decoded audio at its own rate; clips resample it as they play. The engine's own buffer type:
/// a sample is what a clip's node is given.
pub use crate::graph::SampleData as Sample;

/// Samples by the name clips use.
pub type Samples = BTreeMap<String, Arc<Sample>>;

impl Sample {
    /// Checks what the engine would refuse, so a bad sample is refused here, whole.
    pub fn new(sample_rate: f32, channels: Vec<Vec<f32>>) -> Result<Self, SessionError> {
        let bad = |m: String| Err(SessionError::Invalid(m));
        if !(sample_rate.is_finite() && (3000.0..=768_000.0).contains(&sample_rate)) {
            return bad(format!("a sample at {sample_rate} Hz (3000–768000 Hz are taken)"));
        }
        if channels.is_empty() || channels.len() > MAX_SAMPLE_CHANNELS {
            return bad(format!("a sample with {} channels (1 or 2 are taken)", channels.len()));
        }
        if channels.iter().any(|c| c.len() != channels[0].len()) {
            return bad("a sample whose channels differ in length".into());
        }
        if channels[0].is_empty() || channels[0].len() > MAX_SAMPLE_FRAMES {
            return bad(format!("a sample of {} frames (1 to {MAX_SAMPLE_FRAMES} are taken)", channels[0].len()));
        }
        if !channels.iter().flatten().all(|v| v.is_finite()) {
            return bad("a sample with samples that are not finite numbers".into());
        }
        Ok(Self { sample_rate, channels })
    }

    /// A WAV file as a sample: more than two channels are folded into left and right.
    pub fn from_wav(bytes: &[u8]) -> Result<Self, SessionError> {
        let Audio { sample_rate, channels } =
            read_wav(bytes).map_err(|e| SessionError::File(format!("WAV file: {e}")))?;
        Self::new(sample_rate as f32, to_stereo(channels))
    }
}

/// Mono and stereo as they are; more channels summed, alternately, into left and right.
fn to_stereo(channels: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
    if channels.len() <= MAX_SAMPLE_CHANNELS {
        return channels;
    }
    let share = 1.0 / channels.len().div_ceil(2) as f32;
    let mut out = vec![vec![0.0; channels[0].len()]; 2];
    for (i, channel) in channels.iter().enumerate() {
        for (o, v) in out[i % 2].iter_mut().zip(channel) {
            *o += v * share;
        }
    }
    out
}

/// The sample names the project's audio clips and its devices (samplers) use.
pub fn referenced(project: &Project) -> BTreeSet<String> {
    let clips = project.tracks.iter().flat_map(|t| &t.clips).filter_map(|c| match &c.content {
        ClipContent::Audio { asset, .. } => Some(asset.clone()),
        ClipContent::Midi { .. } => None,
    });
    let track_devices = project.tracks.iter().flat_map(|t| t.inserts.iter().chain(&t.instrument));
    let devices = track_devices.chain(project.buses.iter().flat_map(|b| &b.inserts));
    let device_samples =
        devices.flat_map(|d| d.sample.iter().chain(d.pads.iter().filter_map(|p| p.sample.as_ref())).cloned());
    clips.chain(device_samples).collect()
}

/// The sample names the project uses and those its undo and redo steps would bring back (a
/// removed clip's, a sampler's old sample), so a saved history keeps the audio it needs. They
/// are read as the file holds them: every string under an `"asset"` or `"sample"` key.
pub fn referenced_in_history(history: &super::History) -> BTreeSet<String> {
    fn collect(value: &serde_json::Value, into: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (key, field) in fields {
                    match field {
                        serde_json::Value::String(name) if key == "asset" || key == "sample" => {
                            into.insert(name.clone());
                        }
                        other => collect(other, into),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| collect(item, into)),
            _ => {}
        }
    }
    let mut names = referenced(&history.project);
    collect(&serde_json::to_value(history).expect("a history always serialises"), &mut names);
    names
}

/// Names the project uses that `samples` lacks (their clips stay silent).
pub fn missing(project: &Project, samples: &Samples) -> Vec<String> {
    referenced(project).into_iter().filter(|name| !samples.contains_key(name)).collect()
}
