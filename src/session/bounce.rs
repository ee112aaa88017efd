//! Control side: a project rendered to audio faster than real time, the same way wherever it
//! runs — the native CLI (`quaver render`), a browser Worker, a test. The engine is the one the
//! worklet runs; the song plays from its start (or a region's) at frame 0.

use super::compile::{compile, cut, heard_only, part_out_name, Cut, GraphSync, Plan};
use super::project::{Id, Project};
use super::Samples;
use crate::graph::{EngineError, NodeId};
use crate::offline::OfflineRenderer;
use crate::render::{AudioBuf, Handover};
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

/// Quanta a parted bounce renders in each part before the mix takes them: few enough that the
/// blocks in flight stay small (a kilobyte a quantum for each sound leaving a part: 4 MiB for
/// the 16 that leave the parts of a 64-track project), many enough that the threads meet
/// rarely — in wasm each meeting wakes a sleeping Worker (G8's one graph, 32 quanta a block:
/// 1.66–1.68; 128: 1.68–1.76, median 1.73).
const BLOCK_QUANTA: usize = 128;

/// A render in progress: call [`Bounce::render`] until it returns false.
#[derive(Debug)]
pub struct Bounce {
    engines: Engines,
    frames: usize,
    channels: [Vec<f32>; 2],
    /// Frames still to drop from the start (the mix's latency).
    skip: usize,
}

#[derive(Debug)]
enum Engines {
    /// The whole graph in one engine.
    Whole(OfflineRenderer),
    /// The tracks in parts that render side by side, and an engine that mixes what they hand it.
    Parted { parts: Vec<Part>, mix: OfflineRenderer },
}

/// One part of a parted bounce: its engine, and each `part-out` with the mix's `part-in` that
/// takes its blocks.
#[derive(Debug)]
struct Part {
    renderer: OfflineRenderer,
    ends: Vec<(NodeId, NodeId)>,
}

/// `render` of each part, side by side where there are threads; the first error, if any.
fn each_part(
    parts: &mut [Part],
    render: impl Fn(&mut Part) -> Result<(), EngineError> + Sync + Send,
) -> Result<(), EngineError> {
    #[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
    {
        use rayon::prelude::*;
        parts.par_iter_mut().try_for_each(render)
    }
    #[cfg(all(target_arch = "wasm32", not(feature = "threads")))]
    parts.iter_mut().try_for_each(render)
}

/// An engine playing `plan` from the song's `range.start` at frame 0, its commands applied.
fn engine_for(
    plan: Plan,
    project: &Project,
    samples: &Samples,
    sample_rate: f32,
    range: BounceRange,
) -> Result<(OfflineRenderer, GraphSync), EngineError> {
    let mut renderer = OfflineRenderer::new(sample_rate);
    let mut sync = GraphSync::default();
    sync.samples = samples.clone();
    sync.sync(renderer.controller_mut(), plan)?;
    sync.play(renderer.controller_mut(), project, 0, range.start, false)?;
    renderer.settle()?;
    Ok((renderer, sync))
}

/// A block of silent quanta for a part's end to fill or play.
fn empty_block() -> Handover {
    Handover { quanta: vec![AudioBuf::default(); BLOCK_QUANTA], next: 0 }
}

/// Frames a bounce of `range` of `project` has at `sample_rate`, tail included.
pub fn length(project: &Project, sample_rate: f32, range: BounceRange) -> usize {
    let end = range.end.unwrap_or_else(|| super::song_end(project)).max(range.start);
    let map = project.tempo_map();
    let song = map.seconds_at(end as f64) - map.seconds_at(range.start as f64);
    let seconds = song + range.tail_seconds.max(0.0);
    (seconds * f64::from(sample_rate)).ceil() as usize
}

/// Appends a rendered quantum to `channels`, less what is still to `skip`.
fn keep(channels: &mut [Vec<f32>; 2], skip: &mut usize, out: &AudioBuf) {
    let dropped = (*skip).min(QUANTUM);
    *skip -= dropped;
    for (ch, samples) in channels.iter_mut().enumerate() {
        samples.extend_from_slice(&out.channel(ch)[dropped..]);
    }
}

/// Renders `quanta` in every part (side by side), then hands each part's blocks to the mix's
/// `part-in`s, taking back the blocks the mix has played.
fn render_parts(parts: &mut [Part], mix: &mut OfflineRenderer, quanta: usize) -> Result<(), EngineError> {
    // Every part rendered, or nothing is handed over.
    each_part(parts, |part| (0..quanta).try_for_each(|_| part.renderer.render_quantum()))?;
    for part in parts {
        for &(out, into) in &part.ends {
            let taken = part.renderer.engine_mut().handover(out).expect("a part-out hands over");
            let played = mix.engine_mut().handover(into).expect("a part-in is handed");
            core::mem::swap(taken, played);
            (taken.next, played.next) = (0, 0);
        }
    }
    Ok(())
}

impl Bounce {
    /// `samples`: what the project's audio clips play (a missing one leaves its clips silent).
    pub fn new(
        project: &Project,
        samples: &Samples,
        sample_rate: f32,
        range: BounceRange,
    ) -> Result<Self, EngineError> {
        Self::parted(project, samples, sample_rate, range, 1)
    }

    /// As [`Bounce::new`], with the tracks shared among `parts` engines that render side by
    /// side (on threads where there are) and a mix of what they hand over: the same samples,
    /// bit for bit, as one engine gives. One part, or fewer than two mix groups: one engine.
    pub fn parted(
        project: &Project,
        samples: &Samples,
        sample_rate: f32,
        range: BounceRange,
        parts: usize,
    ) -> Result<Self, EngineError> {
        let plan = heard_only(compile(project, sample_rate), project);
        // The mix reaches the master `latency` frames late (inserts with lookahead, compensated
        // on every other path): those first frames are rendered and dropped.
        let skip = plan.latency as usize;
        let engines = match cut(&plan, parts) {
            None => Engines::Whole(engine_for(plan, project, samples, sample_rate, range)?.0),
            Some(Cut { parts, leaving, mix }) => {
                let (mut mix, mix_sync) = engine_for(mix, project, samples, sample_rate, range)?;
                let mut rendered = Vec::with_capacity(parts.len());
                for (plan, leaving) in parts.into_iter().zip(leaving) {
                    let (mut renderer, sync) = engine_for(plan, project, samples, sample_rate, range)?;
                    let mut ends = Vec::with_capacity(leaving.len());
                    for source in &leaving {
                        let pair = sync.id(&part_out_name(source)).zip(mix_sync.id(source));
                        let (out, into) = pair.expect("the cut names both ends of every connection it cuts");
                        for (engine, id) in [(renderer.engine_mut(), out), (mix.engine_mut(), into)] {
                            *engine.handover(id).expect("a part's end hands over") = empty_block();
                        }
                        ends.push((out, into));
                    }
                    rendered.push(Part { renderer, ends });
                }
                Engines::Parted { parts: rendered, mix }
            }
        };
        let frames = length(project, sample_rate, range);
        let channels = [Vec::with_capacity(frames + QUANTUM), Vec::with_capacity(frames + QUANTUM)];
        Ok(Self { engines, frames, channels, skip })
    }

    /// How many engines render it (1, or the parts and their mix).
    pub fn engine_count(&self) -> usize {
        match &self.engines {
            Engines::Whole(_) => 1,
            Engines::Parted { parts, .. } => parts.len() + 1,
        }
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
        let Self { engines, channels, skip, frames: total } = self;
        let until = (channels[0].len() + frames).min(*total);
        while channels[0].len() < until {
            match engines {
                Engines::Whole(renderer) => {
                    renderer.render_quantum()?;
                    keep(channels, skip, renderer.engine().output());
                }
                Engines::Parted { parts, mix } => {
                    let quanta = (until - channels[0].len()).div_ceil(QUANTUM).min(BLOCK_QUANTA);
                    render_parts(parts, mix, quanta)?;
                    for _ in 0..quanta {
                        mix.render_quantum()?;
                        keep(channels, skip, mix.engine().output());
                    }
                }
            }
        }
        Ok(channels[0].len() < *total)
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
