//! Render thread: delay line (Web Audio's DelayNode): a fractional delay of up to
//! `maxDelayTime`, read by linear interpolation as browsers do. Its line is allocated when the
//! node is built, never on the render path. Inside a cycle the engine splits it — output first
//! from what earlier quanta wrote, input last — and, as in Chromium, the loop then lasts one
//! quantum longer than the delay time (Web Audio allows feedback only through a delay).

use super::{number_option, params_for, NodeType};
use crate::graph::{Bound, EngineConfig, NodeSpec, ParamSpec, SettingKind, SettingSpec};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status, SILENCE};
use crate::simd::flush_subnormals;
use crate::{MAX_CHANNELS, QUANTUM};

/// Web Audio's bounds for `maxDelayTime`: above zero, below three minutes.
pub const MAX_DELAY_LIMIT: f64 = 180.0;
const DEFAULT_MAX_DELAY: f64 = 1.0;
const MAX_DELAY_TIME: u8 = 0;

const PARAMS: [ParamSpec; 1] =
    [ParamSpec::new("delayTime", 0.0, Bound::Value(0.0), Bound::Value(MAX_DELAY_LIMIT as f32)).control(0.0, 1.0)];
const SETTINGS: [SettingSpec; 1] =
    [SettingSpec::new("maxDelayTime", SettingKind::Number { min: 1e-6, max: MAX_DELAY_LIMIT - 1e-6 })
        .at_creation()
        .with_default(DEFAULT_MAX_DELAY)];

pub const SPEC: NodeSpec = NodeSpec {
    name: "delay",
    factory: "createDelay",
    params: &PARAMS,
    settings: &SETTINGS,
    tail_seconds: MAX_DELAY_LIMIT,
    breaks_cycles: true,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, options| {
        let max = number_option(options, MAX_DELAY_TIME).unwrap_or(DEFAULT_MAX_DELAY);
        Box::new(Delay::new(config, max.clamp(1e-6, MAX_DELAY_LIMIT)))
    },
    memory: |config, options| {
        let max = number_option(options, MAX_DELAY_TIME).unwrap_or(DEFAULT_MAX_DELAY);
        line_bytes(max, config.sample_rate)
    },
    prepare: super::as_given,
};

/// Bytes of line a delay of `max_delay` seconds allocates at `sample_rate`.
pub fn line_bytes(max_delay: f64, sample_rate: f32) -> usize {
    line_frames(max_delay, f64::from(sample_rate)) * MAX_CHANNELS * core::mem::size_of::<f32>()
}

fn line_frames(max_delay: f64, sample_rate: f64) -> usize {
    (max_delay * sample_rate).ceil() as usize + QUANTUM + 2
}

/// A delay line per channel, and its `delayTime`.
#[derive(Debug)]
pub struct Delay {
    params: [Param; 1],
    line: Line,
}

/// Everything but the parameter, so a quantum's delay times and the line borrow apart.
#[derive(Debug)]
struct Line {
    max_delay: f64,
    sample_rate: f64,
    lines: [Vec<f32>; MAX_CHANNELS],
    write: usize,
    /// The line length and write position a browser's delay of the same maximum would have:
    /// browsers hold the read position in single precision on such a line, which rounds the
    /// delay to 1/256 of a frame or so; reading at the same rounded delay keeps the output
    /// within float noise of theirs.
    browser_len: usize,
    browser_write: usize,
    channels: usize,
    /// Frames of silence written in a row; once the whole line is silent, so is the output.
    silent_run: usize,
}

impl Delay {
    pub fn new(config: &EngineConfig, max_delay: f64) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        let frames = line_frames(max_delay, sample_rate);
        let line = Line {
            max_delay,
            sample_rate,
            lines: core::array::from_fn(|_| vec![0.0; frames]),
            write: 0,
            browser_len: 1 + (max_delay * sample_rate).round() as usize,
            browser_write: 0,
            channels: 1,
            silent_run: usize::MAX,
        };
        Self { params: params_for(&PARAMS, config), line }
    }
}

impl Line {
    fn len(&self) -> usize {
        self.lines[0].len()
    }

    /// The delay in frames at `frame` of this quantum, clamped to `[min, max]`.
    #[inline]
    fn frames_at(&self, delay: &ParamValues<'_>, frame: usize, min_frames: f64) -> f64 {
        let seconds = f64::from(delay.at(frame)).clamp(0.0, self.max_delay);
        let frames = (seconds * self.sample_rate).max(min_frames);
        let len = self.browser_len as f64;
        let at = ((self.browser_write + frame) % self.browser_len) as f64;
        let position = (at + len - frames) as f32;
        (at + len - f64::from(position)).clamp(0.0, len)
    }

    /// Reads the line at `frames` before write position `at`, interpolating linearly.
    #[inline]
    fn read(&self, channel: usize, at: usize, frames: f64) -> f32 {
        let len = self.len();
        let mut position = at as f64 + len as f64 - frames;
        if position >= len as f64 {
            position -= len as f64;
        }
        let first = (position as usize).min(len - 1);
        let second = if first + 1 == len { 0 } else { first + 1 };
        let share = (position - first as f64) as f32;
        let line = &self.lines[channel];
        line[first] + share * (line[second] - line[first])
    }

    fn write_input(&mut self, input: &AudioBuf, frame: usize, at: usize) {
        for ch in 0..MAX_CHANNELS {
            self.lines[ch][at] = if input.is_silent() { 0.0 } else { input.channel(ch)[frame] };
        }
    }

    fn note_input(&mut self, input: &AudioBuf) -> bool {
        if input.is_silent() {
            self.silent_run = self.silent_run.saturating_add(QUANTUM);
        } else {
            self.silent_run = 0;
            self.channels = input.channels();
        }
        // Only once the whole line holds zeros may the node skip its work.
        self.silent_run > self.len() + QUANTUM
    }
}

impl Processor for Delay {
    fn reset(&mut self) {
        for line in &mut self.line.lines {
            line.fill(0.0);
        }
        self.line.silent_run = usize::MAX;
    }

    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let delay = self.params[0].render(cx.time, cx.sample_rate);
        let line = &mut self.line;
        let input = inputs.first().copied().unwrap_or(&SILENCE);
        if line.note_input(input) {
            output.set_silent(line.channels);
            return Status::Normal;
        }
        let len = line.len();
        for i in 0..QUANTUM {
            let at = (line.write + i) % len;
            line.write_input(input, i, at);
            let frames = line.frames_at(&delay, i, 0.0);
            for ch in 0..line.channels {
                output.channel_mut(ch)[i] = line.read(ch, at, frames);
            }
        }
        line.write = (line.write + QUANTUM) % len;
        line.browser_write = (line.browser_write + QUANTUM) % line.browser_len;
        for ch in 0..line.channels {
            flush_subnormals(output.channel_mut(ch));
        }
        output.set_audible(line.channels);
        Status::Normal
    }

    fn render_split_output(&mut self, output: &mut AudioBuf, cx: &ProcessContext) -> Status {
        let delay = self.params[0].render(cx.time, cx.sample_rate);
        let line = &mut self.line;
        if line.silent_run > line.len() + QUANTUM {
            output.set_silent(line.channels);
            return Status::Normal;
        }
        let len = line.len();
        for i in 0..QUANTUM {
            let at = (line.write + i) % len;
            // In a cycle the input of this quantum is not there yet: read a quantum further back.
            let frames = line.frames_at(&delay, i, 0.0) + QUANTUM as f64;
            for ch in 0..line.channels {
                output.channel_mut(ch)[i] = line.read(ch, at, frames);
            }
        }
        for ch in 0..line.channels {
            flush_subnormals(output.channel_mut(ch));
        }
        output.set_audible(line.channels);
        Status::Normal
    }

    fn take_split_input(&mut self, inputs: &[&AudioBuf], _cx: &ProcessContext) {
        let line = &mut self.line;
        let input = inputs.first().copied().unwrap_or(&SILENCE);
        line.note_input(input);
        let len = line.len();
        for i in 0..QUANTUM {
            line.write_input(input, i, (line.write + i) % len);
        }
        line.write = (line.write + QUANTUM) % len;
        line.browser_write = (line.browser_write + QUANTUM) % line.browser_len;
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{EngineConfig, SettingValue};
    use crate::offline::OfflineRenderer;

    fn impulse_through(delay_frames: f64) -> Vec<f32> {
        let mut g = OfflineRenderer::new(48_000.0);
        let src = g.add("constant-source").unwrap();
        g.start(src, 0.0).unwrap();
        g.stop(src, 1.0 / 48_000.0).unwrap();
        let d = g.add("delay").unwrap();
        g.set(d, "delayTime", (delay_frames / 48_000.0) as f32).unwrap();
        g.connect(src, d).unwrap();
        g.connect(d, g.destination()).unwrap();
        g.render_frames(1024).remove(0)
    }

    #[test]
    fn whole_and_fractional_delays_follow_linear_interpolation() {
        // delayTime is an f32 parameter, so 300 frames is 299.99998: within 1e-4 of one sample.
        let whole = impulse_through(300.0);
        assert!((whole[300] - 1.0).abs() < 1e-4, "{}", whole[300]);
        assert_eq!(whole.iter().filter(|v| v.abs() > 1e-4).count(), 1);
        let half = impulse_through(10.5);
        assert!((half[10] - 0.5).abs() < 1e-6 && (half[11] - 0.5).abs() < 1e-6, "{:?}", &half[8..13]);
        assert_eq!(impulse_through(0.0)[0], 1.0, "no delay passes the input straight through");
    }

    /// One sample of 1 into sum(gain 1) → delay → feedback(gain 0.5) → sum, heard at the sum.
    fn echoes(delay_frames: f64, frames: usize) -> Vec<f32> {
        let mut g = OfflineRenderer::new(48_000.0);
        let src = g.add("constant-source").unwrap();
        g.start(src, 0.0).unwrap();
        g.stop(src, 1.0 / 48_000.0).unwrap();
        let sum = g.add("gain").unwrap();
        let d = g.add("delay").unwrap();
        let fb = g.add("gain").unwrap();
        g.set(d, "delayTime", (delay_frames / 48_000.0) as f32).unwrap();
        g.set(fb, "gain", 0.5).unwrap();
        for (a, b) in [(src, sum), (sum, d), (d, fb), (fb, sum)] {
            g.connect(a, b).unwrap();
        }
        g.connect(sum, g.destination()).unwrap();
        g.render_frames(frames).remove(0)
    }

    #[test]
    fn feedback_through_a_delay_repeats_and_decays() {
        // Echoes every 1000 + 128 frames (the cycle's quantum).
        let out = echoes(1000.0, 4096);
        for (k, expected) in [(0, 1.0), (1128, 0.5), (2256, 0.25), (3384, 0.125)] {
            assert!((out[k] - expected).abs() < 1e-4, "echo at {k}: {}", out[k]);
        }
        let loud = out.iter().filter(|v| v.abs() > 1e-3).count();
        assert_eq!(loud, 4, "nothing but the echoes");
    }

    #[test]
    fn a_cycle_adds_one_quantum_to_its_delay() {
        let out = echoes(40.0, 512);
        assert_eq!(out[0], 1.0);
        assert!((out[168] - 0.5).abs() < 1e-4 && (out[336] - 0.25).abs() < 1e-4, "{} {}", out[168], out[336]);
        assert_eq!(out.iter().filter(|v| v.abs() > 1e-3).count(), 4, "echoes at 0, 168, 336 and 504");
    }

    #[test]
    fn max_delay_time_is_given_at_creation_and_bounds_the_delay() {
        let mut g = OfflineRenderer::with_config(EngineConfig::new(48_000.0));
        let src = g.add("constant-source").unwrap();
        g.start(src, 0.0).unwrap();
        g.stop(src, 1.0 / 48_000.0).unwrap();
        let d = g.add("delay").unwrap();
        g.configure(d, "maxDelayTime", SettingValue::Number(0.001)).unwrap();
        g.set(d, "delayTime", 0.5).unwrap();
        g.connect(src, d).unwrap();
        g.connect(d, g.destination()).unwrap();
        let out = g.render_frames(256).remove(0);
        assert_eq!(out[48], 1.0, "0.5 s is clamped to the 1 ms maximum");
        let late = g.configure(d, "maxDelayTime", SettingValue::Number(2.0)).unwrap_err();
        assert_eq!(late.code, crate::graph::ErrorCode::BadSetting);
        let d2 = g.add("delay").unwrap();
        let err = g.configure(d2, "maxDelayTime", SettingValue::Number(200.0)).unwrap_err();
        assert_eq!(err.code, crate::graph::ErrorCode::OutOfRange);
    }

    #[test]
    fn delay_lines_past_the_memory_budget_are_refused() {
        let config = EngineConfig { memory_budget: 8 << 20, ..EngineConfig::new(48_000.0) };
        let mut g = OfflineRenderer::with_config(config);
        let a = g.add("delay").unwrap();
        // 10 s of stereo f32 at 48 kHz is 3.8 MB: two fit in 8 MiB, a third does not.
        g.configure(a, "maxDelayTime", SettingValue::Number(10.0)).unwrap();
        let b = g.add("delay").unwrap();
        g.configure(b, "maxDelayTime", SettingValue::Number(10.0)).unwrap();
        let c = g.add("delay").unwrap();
        let err = g.configure(c, "maxDelayTime", SettingValue::Number(10.0)).unwrap_err();
        assert_eq!(err.code, crate::graph::ErrorCode::TooLarge, "{err}");
        g.remove(a).unwrap();
        g.configure(c, "maxDelayTime", SettingValue::Number(10.0)).unwrap();
        g.render_frames(128);
    }
}
