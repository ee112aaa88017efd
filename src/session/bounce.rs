//! Control side: a project rendered to audio faster than real time, the same way wherever it
//! runs — the native CLI (`quaver render`), a browser Worker, a test. The engine is the one the
//! worklet runs; the song plays from its start (or a region's) at frame 0.

use super::compile::{compile, GraphSync};
use super::project::{Id, Project};
use super::Samples;
use crate::graph::EngineError;
use crate::offline::OfflineRenderer;
use crate::QUANTUM;

/// What to render: the song (or `start..end` in ticks), then `tail_seconds` for reverbs and
/// releases to ring out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BounceRange {
    pub start: u64,
    /// The tick rendering stops at (the tail comes after); `None`: the end of the last clip.
    pub end: Option<u64>,
    pub tail_seconds: f64,
}

impl Default for BounceRange {
    fn default() -> Self {
        Self { start: 0, end: None, tail_seconds: 2.0 }
    }
}

/// The project as track `track`'s stem: that track alone is heard (soloed, and unmuted), through
/// its sends, the buses and the master, so the stems of a song with no master effects sum to
/// its mix. `None`: no such track.
pub fn stem(project: &Project, track: Id) -> Option<Project> {
    project.track(track)?;
    let mut stem = project.clone();
    for t in &mut stem.tracks {
        t.strip.solo = t.id == track;
        if t.id == track {
            t.strip.mute = false;
        }
    }
    Some(stem)
}

/// The file name of the stem of the track at `index`: its number and name, safe on every file
/// system.
pub fn stem_file_name(index: usize, name: &str) -> String {
    let safe: String =
        name.chars().map(|c| if r#"\/:*?"<>|"#.contains(c) || c.is_control() { '_' } else { c }).collect();
    format!("{:02} {}.wav", index + 1, safe.trim())
}

/// A render in progress: call [`Bounce::render`] until it returns false.
#[derive(Debug)]
pub struct Bounce {
    renderer: OfflineRenderer,
    frames: usize,
    channels: [Vec<f32>; 2],
    /// Frames still to drop from the start (the mix's latency).
    skip: usize,
}

impl Bounce {
    /// `samples`: what the project's audio clips play (a missing one leaves its clips silent).
    pub fn new(
        project: &Project,
        samples: &Samples,
        sample_rate: f32,
        range: BounceRange,
    ) -> Result<Self, EngineError> {
        let mut renderer = OfflineRenderer::new(sample_rate);
        let mut sync = GraphSync::default();
        sync.samples = samples.clone();
        let plan = compile(project, sample_rate);
        // The mix reaches the master `latency` frames late (inserts with lookahead, compensated
        // on every other path): those first frames are rendered and dropped.
        let skip = plan.latency as usize;
        sync.sync(renderer.controller_mut(), plan)?;
        sync.play(renderer.controller_mut(), project, 0, range.start, false)?;
        let end = range.end.unwrap_or_else(|| super::song_end(project)).max(range.start);
        let map = project.tempo_map();
        let song = map.seconds_at(end as f64) - map.seconds_at(range.start as f64);
        let seconds = song + range.tail_seconds.max(0.0);
        let frames = (seconds * f64::from(sample_rate)).ceil() as usize;
        let channels = [Vec::with_capacity(frames + QUANTUM), Vec::with_capacity(frames + QUANTUM)];
        Ok(Self { renderer, frames, channels, skip })
    }

    /// Frames the whole render has.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Frames rendered so far.
    pub fn done(&self) -> usize {
        self.channels[0].len().min(self.frames)
    }

    /// Renders up to `frames` more; false once everything is rendered.
    pub fn render(&mut self, frames: usize) -> Result<bool, EngineError> {
        let until = (self.channels[0].len() + frames).min(self.frames);
        while self.channels[0].len() < until {
            self.renderer.render_quantum()?;
            let out = self.renderer.engine().output();
            let dropped = self.skip.min(QUANTUM);
            self.skip -= dropped;
            for (ch, samples) in self.channels.iter_mut().enumerate() {
                samples.extend_from_slice(&out.channel(ch)[dropped..]);
            }
        }
        Ok(self.channels[0].len() < self.frames)
    }

    /// The rendered audio, [left, right], exactly [`Bounce::frames`] long.
    pub fn finish(mut self) -> Vec<Vec<f32>> {
        while self.render(self.frames).unwrap_or(false) {}
        self.channels
            .into_iter()
            .map(|mut c| {
                c.truncate(self.frames);
                c
            })
            .collect()
    }
}
