//! Render thread: an automation lane on the song timeline — breakpoints (song frame, value)
//! joined by straight lines, output as a control signal for another node's parameter. What it
//! outputs is a function of the song frame alone, so a seek or a loop jump lands exactly, and a
//! bounce plays the same values as the live song. Before the first point it holds the first
//! value, after the last the last; while the song is stopped it holds the value where it
//! stopped.

use super::{params_for, NodeType, Transport};
use crate::graph::{
    Breakpoint, EngineConfig, ErrorCode, NodeSpec, RenderError, SettingKind, SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::QUANTUM;

const POINTS: u8 = 0;
const TRANSPORT: u8 = 1;
const SETTINGS: [SettingSpec; 2] =
    [SettingSpec::new("points", SettingKind::Breakpoints), SettingSpec::new("transport", SettingKind::Transport)];

pub const SPEC: NodeSpec =
    NodeSpec { name: "automation", factory: "createAutomation", params: &[], settings: &SETTINGS, ..NodeSpec::SOURCE };
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Automation::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

#[derive(Debug)]
pub struct Automation {
    params: [Param; 0],
    points: Vec<Breakpoint>,
    transport: Transport,
    pending: Option<Transport>,
    /// The song frame last played (held while stopped).
    song_frame: u64,
}

impl Automation {
    pub fn new(config: &EngineConfig) -> Self {
        Self {
            params: params_for(&[], config),
            points: Vec::new(),
            transport: Transport::default(),
            pending: None,
            song_frame: 0,
        }
    }

    /// The lane's value at song frame `song`, starting the search at segment `from` (the index
    /// of the first point after `song`, or a guess below it); returns the value and that index.
    #[inline]
    fn value_at(&self, song: u64, from: usize) -> (f32, usize) {
        let points = &self.points;
        let mut next = from.min(points.len());
        if next > 0 && points[next - 1].frame > song {
            next = points.partition_point(|p| p.frame <= song);
        }
        while next < points.len() && points[next].frame <= song {
            next += 1;
        }
        let value = match (next.checked_sub(1).map(|i| points[i]), points.get(next)) {
            (None, Some(first)) => first.value,
            (Some(last), None) => last.value,
            (Some(a), Some(b)) => {
                let t = (song - a.frame) as f64 / (b.frame - a.frame) as f64;
                (f64::from(a.value) + t * f64::from(b.value - a.value)) as f32
            }
            (None, None) => 0.0,
        };
        (value, next)
    }
}

impl Processor for Automation {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        if self.points.is_empty() {
            output.set_silent(1);
            return Status::Normal;
        }
        let out = output.channel_mut(0);
        let mut next = self.points.partition_point(|p| p.frame <= self.song_frame);
        for (i, sample) in out.iter_mut().enumerate().take(QUANTUM) {
            let frame = cx.frame + i as u64;
            if let Some(t) = self.pending.filter(|t| frame >= t.at) {
                self.transport = t;
                self.pending = None;
            }
            let t = self.transport;
            if t.playing && frame >= t.at {
                self.song_frame = t.song_frame(frame);
            }
            let (value, at) = self.value_at(self.song_frame, next);
            next = at;
            *sample = value;
        }
        output.set_audible(1);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &mut *value) {
            // The old points go back into the command, to be dropped off the render path.
            (POINTS, SettingValue::Breakpoints(points)) => core::mem::swap(&mut self.points, points),
            (TRANSPORT, &mut SettingValue::Transport { at, playing, position, loop_start, loop_end }) => {
                self.pending = Some(Transport { at, playing, position, loop_start, loop_end });
            }
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "an automation lane does not take that setting")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{Breakpoint, NodeId, SettingValue};
    use crate::offline::OfflineRenderer;

    const SR: f32 = 48_000.0;

    fn lane(g: &mut OfflineRenderer, points: &[(u64, f32)]) -> NodeId {
        let a = g.add("automation").unwrap();
        let points = points.iter().map(|&(frame, value)| Breakpoint { frame, value }).collect();
        g.configure(a, "points", SettingValue::Breakpoints(points)).unwrap();
        a
    }

    fn play(g: &mut OfflineRenderer, a: NodeId, at: u64, position: u64, loop_start: u64, loop_end: u64) {
        let t = SettingValue::Transport { at, playing: true, position, loop_start, loop_end };
        g.configure(a, "transport", t).unwrap();
    }

    #[test]
    fn a_lane_is_straight_lines_between_its_points_on_the_song_timeline() {
        let mut g = OfflineRenderer::new(SR);
        let a = lane(&mut g, &[(100, 0.0), (300, 1.0), (400, -1.0)]);
        g.connect(a, g.destination()).unwrap();
        play(&mut g, a, 50, 0, 0, 0);
        let out = g.render_frames(1024).remove(0);
        // Before the song plays and before the first point: the first value.
        assert!(out[..150].iter().all(|&v| v == 0.0));
        // Song frame s sounds at context frame s + 50.
        for s in 100..=300u64 {
            let want = (s - 100) as f32 / 200.0;
            assert!((out[(s + 50) as usize] - want).abs() < 1e-6, "song frame {s}: {}", out[(s + 50) as usize]);
        }
        for s in 300..=400u64 {
            let want = 1.0 - 2.0 * (s - 300) as f32 / 100.0;
            assert!((out[(s + 50) as usize] - want).abs() < 1e-6, "song frame {s}");
        }
        assert!(out[451..].iter().all(|&v| v == -1.0), "the last value holds after the last point");
    }

    #[test]
    fn a_loop_jump_and_a_stop_land_on_the_song_frame() {
        let mut g = OfflineRenderer::new(SR);
        let a = lane(&mut g, &[(0, 0.0), (1000, 1000.0)]);
        g.connect(a, g.destination()).unwrap();
        play(&mut g, a, 0, 200, 200, 600);
        let out = g.render_frames(1024).remove(0);
        for (i, &v) in out.iter().enumerate() {
            let song = 200 + (i % 400);
            assert!((v - song as f32).abs() < 1e-3, "context frame {i}: {v}, song frame {song}");
        }
        let stop = SettingValue::Transport { at: 1100, playing: false, position: 0, loop_start: 0, loop_end: 0 };
        g.configure(a, "transport", stop).unwrap();
        let out = g.render_frames(256).remove(0);
        // The last frame played was context frame 1099, song frame 200 + 1099 mod 400.
        let held = 200.0 + (1099 % 400) as f32;
        assert!(out[100..].iter().all(|&v| (v - held).abs() < 1e-3), "held at {held}: {}", out[200]);
    }

    #[test]
    fn into_a_parameter_it_sets_that_parameter_sample_by_sample() {
        let mut g = OfflineRenderer::new(SR);
        let source = g.add("constant-source").unwrap();
        g.start(source, 0.0).unwrap();
        let gain = g.add("gain").unwrap();
        g.set(gain, "gain", 0.0).unwrap();
        let a = lane(&mut g, &[(0, 0.0), (512, 1.0)]);
        g.connect(source, gain).unwrap();
        g.connect(gain, g.destination()).unwrap();
        g.connect_param(a, gain, "gain").unwrap();
        play(&mut g, a, 0, 0, 0, 0);
        let out = g.render_frames(1024).remove(0);
        for (i, &v) in out.iter().enumerate().take(512) {
            assert!((v - i as f32 / 512.0).abs() < 1e-6, "frame {i}: {v}");
        }
        assert!(out[512..].iter().all(|&v| (v - 1.0).abs() < 1e-6));
    }
}
