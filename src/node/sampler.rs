//! Render thread: sample player (Web Audio's AudioBufferSourceNode): a decoded buffer, handed
//! over once and moved in, played from `start(when, offset, duration)` at `playbackRate` ×
//! 2^(detune/1200) × (buffer rate ÷ engine rate), read between samples by linear
//! interpolation, optionally looping between `loopStart` and `loopEnd`. `playbackRate` and
//! `detune` are a-rate here (Web Audio makes them k-rate; with constant values the two agree).

use super::{params_for, NodeType, SourceClock};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, ErrorCode, NodeSpec, ParamSpec, RenderError, SampleData, SettingKind,
    SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status};
use crate::MAX_CHANNELS;
use std::sync::Arc;

const PARAMS: [ParamSpec; 2] = [
    ParamSpec::new("playbackRate", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).log_control(0.25, 4.0),
    ParamSpec::new("detune", 0.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).control(-1200.0, 1200.0),
];
const BUFFER: u8 = 0;
const CLOCK: u8 = 1;
const OFFSET: u8 = 3;
const DURATION: u8 = 4;
const LOOP: u8 = 5;
const LOOP_START: u8 = 6;
const LOOP_END: u8 = 7;
const SETTINGS: [SettingSpec; 8] = [
    SettingSpec::new("buffer", SettingKind::Samples { stored: true }),
    SettingSpec::new("start", SettingKind::Time),
    SettingSpec::new("stop", SettingKind::Time),
    SettingSpec::new("offset", SettingKind::Number { min: 0.0, max: f64::MAX }).with_default(0.0),
    SettingSpec::new("duration", SettingKind::Number { min: 0.0, max: f64::MAX }).with_default(0.0),
    SettingSpec::new("loop", SettingKind::Flag).with_default(0.0),
    SettingSpec::new("loopStart", SettingKind::Number { min: 0.0, max: f64::MAX }).with_default(0.0),
    SettingSpec::new("loopEnd", SettingKind::Number { min: 0.0, max: f64::MAX }).with_default(0.0),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "buffer-source",
    factory: "createBufferSource",
    channels: ChannelRule::FollowsInput,
    params: &PARAMS,
    settings: &SETTINGS,
    ..NodeSpec::SOURCE
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Sampler::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// A buffer player: its parameters, and the rest.
#[derive(Debug)]
pub struct Sampler {
    params: [Param; 2],
    player: Player,
}

/// Everything but the parameters, so a quantum's rates and the buffer borrow apart.
#[derive(Debug)]
struct Player {
    clock: SourceClock,
    buffer: Arc<SampleData>,
    buffer_rate: f64,
    sample_rate: f64,
    offset: f64,
    /// Seconds of buffer to play (`None`: to the end, or forever when looping).
    duration: Option<f64>,
    looping: bool,
    loop_start: f64,
    loop_end: f64,
    /// Read position in buffer frames; `None` until the first sounding frame.
    position: Option<f64>,
    played: f64,
    finished: bool,
}

impl Sampler {
    pub fn new(config: &EngineConfig) -> Self {
        let player = Player {
            clock: SourceClock::new(config),
            buffer: Arc::default(),
            buffer_rate: f64::from(config.sample_rate),
            sample_rate: f64::from(config.sample_rate),
            offset: 0.0,
            duration: None,
            looping: false,
            loop_start: 0.0,
            loop_end: 0.0,
            position: None,
            played: 0.0,
            finished: false,
        };
        Self { params: params_for(&PARAMS, config), player }
    }
}

impl Player {
    fn frames(&self) -> usize {
        self.buffer.frames()
    }

    /// The loop in buffer frames, as Web Audio resolves `loopStart`/`loopEnd`: an empty or
    /// inverted range loops the whole buffer.
    fn loop_frames(&self) -> (f64, f64) {
        let len = self.frames() as f64;
        let (start, end) = (self.loop_start * self.buffer_rate, self.loop_end * self.buffer_rate);
        if self.loop_end > 0.0 && start < end && end <= len {
            (start.max(0.0), end)
        } else {
            (0.0, len)
        }
    }

    /// The sample at fractional `position` of channel `ch`, the next frame wrapping to the loop
    /// start when looping and holding the last frame at the end otherwise.
    #[inline]
    fn read(&self, ch: usize, position: f64, loop_range: (f64, f64)) -> f32 {
        let data = &self.buffer.channels[ch];
        let first = position as usize;
        let mut second = first + 1;
        let end = if self.looping { loop_range.1.ceil() as usize } else { data.len() };
        if second >= end {
            second = if self.looping { loop_range.0 as usize } else { first };
        }
        let share = position - first as f64;
        let (a, b) = (f64::from(data[first.min(data.len() - 1)]), f64::from(data[second.min(data.len() - 1)]));
        ((1.0 - share) * a + share * b) as f32
    }
}

impl Processor for Sampler {
    fn reset(&mut self) {
        self.player.position = None;
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let [rate, detune] = &mut self.params;
        let (rate, detune) = (rate.render(cx.time, cx.sample_rate), detune.render(cx.time, cx.sample_rate));
        let player = &mut self.player;
        let channels = player.buffer.channels.len().min(MAX_CHANNELS);
        let range = player.clock.sounding(cx);
        let (Some(range), false, true) = (range, player.finished, channels > 0) else {
            output.set_silent(channels.max(1));
            return if player.finished { Status::Ended } else { player.clock.status(cx) };
        };
        let len = player.frames() as f64;
        let loop_range = player.loop_frames();
        let resample = player.buffer_rate / player.sample_rate;
        let limit = player.duration.map(|d| d * player.buffer_rate);
        let mut position = player.position.unwrap_or(player.offset * player.buffer_rate);
        for ch in 0..channels {
            output.channel_mut(ch).fill(0.0);
        }
        for i in range {
            let step = match (rate, detune) {
                (ParamValues::Constant(r), ParamValues::Constant(0.0)) => f64::from(r),
                _ => f64::from(rate.at(i)) * (f64::from(detune.at(i)) / 1200.0).exp2(),
            } * resample;
            if player.looping && position >= loop_range.1 && loop_range.1 > loop_range.0 {
                position = loop_range.0 + (position - loop_range.0) % (loop_range.1 - loop_range.0);
            }
            let outside = position < 0.0 || position >= len;
            if (!player.looping && outside) || limit.is_some_and(|l| player.played >= l) {
                player.finished = true;
                break;
            }
            if !outside {
                for ch in 0..channels {
                    output.channel_mut(ch)[i] = player.read(ch, position, loop_range);
                }
            }
            position += step;
            player.played += step.abs();
        }
        player.position = Some(position);
        output.set_audible(channels);
        if player.finished {
            Status::Ended
        } else {
            player.clock.status(cx)
        }
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        let player = &mut self.player;
        match (setting, &mut *value) {
            (BUFFER, SettingValue::Buffer(buffer)) => {
                // The old buffer goes back into the command, to be dropped off the render path.
                core::mem::swap(&mut player.buffer, buffer);
                player.buffer_rate = f64::from(player.buffer.sample_rate);
            }
            (OFFSET, &mut SettingValue::Number(v)) => player.offset = v,
            (DURATION, &mut SettingValue::Number(v)) => player.duration = (v > 0.0).then_some(v),
            (LOOP, &mut SettingValue::Flag(on)) => player.looping = on,
            (LOOP_START, &mut SettingValue::Number(v)) => player.loop_start = v,
            (LOOP_END, &mut SettingValue::Number(v)) => player.loop_end = v,
            _ if SourceClock::owns(setting, CLOCK) => return player.clock.configure(setting, value, CLOCK),
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "a buffer source does not take that setting")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{EngineConfig, ErrorCode, SettingValue};
    use crate::offline::OfflineRenderer;

    fn ramp(len: usize) -> Vec<f32> {
        (0..len).map(|i| i as f32 / len as f32).collect()
    }

    fn player(g: &mut OfflineRenderer, data: Vec<f32>, rate: f32) -> crate::graph::NodeId {
        let s = g.add("buffer-source").unwrap();
        g.configure(s, "buffer", SettingValue::Samples { sample_rate: rate, channels: vec![data] }).unwrap();
        g.connect(s, g.destination()).unwrap();
        s
    }

    #[test]
    fn plays_the_buffer_once_from_its_start_time() {
        let mut g = OfflineRenderer::new(48_000.0);
        let s = player(&mut g, ramp(300), 48_000.0);
        g.start(s, 100.0 / 48_000.0).unwrap();
        let out = g.render_frames(1024).remove(0);
        assert!(out[..100].iter().all(|&v| v == 0.0));
        assert!((0..300).all(|i| out[100 + i] == i as f32 / 300.0));
        assert!(out[400..].iter().all(|&v| v == 0.0), "played once");
    }

    #[test]
    fn half_speed_interpolates_and_offset_and_duration_cut_the_buffer() {
        let mut g = OfflineRenderer::new(48_000.0);
        let s = player(&mut g, ramp(100), 48_000.0);
        g.set(s, "playbackRate", 0.5).unwrap();
        g.configure(s, "offset", SettingValue::Number(20.0 / 48_000.0)).unwrap();
        g.configure(s, "duration", SettingValue::Number(10.0 / 48_000.0)).unwrap();
        g.start(s, 0.0).unwrap();
        let out = g.render_frames(256).remove(0);
        assert!((out[0] - 0.2).abs() < 1e-6 && (out[1] - 0.205).abs() < 1e-6, "{} {}", out[0], out[1]);
        assert_eq!(out.iter().filter(|&&v| v != 0.0).count(), 20, "10 frames of buffer at half speed");
    }

    #[test]
    fn loops_between_its_points_until_stopped() {
        let mut g = OfflineRenderer::new(48_000.0);
        let s = player(&mut g, ramp(100), 48_000.0);
        g.configure(s, "loop", SettingValue::Flag(true)).unwrap();
        g.configure(s, "loopStart", SettingValue::Number(50.0 / 48_000.0)).unwrap();
        g.configure(s, "loopEnd", SettingValue::Number(60.0 / 48_000.0)).unwrap();
        g.start(s, 0.0).unwrap();
        g.stop(s, 500.0 / 48_000.0).unwrap();
        let out = g.render_frames(1024).remove(0);
        assert_eq!(out[59], 0.59);
        assert_eq!(out[60], 0.5, "back to the loop start");
        assert_eq!(out[75], 0.55);
        assert!(out[500..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_buffer_at_another_rate_is_resampled_and_huge_ones_are_refused() {
        let mut g = OfflineRenderer::new(48_000.0);
        let s = player(&mut g, ramp(100), 24_000.0);
        g.start(s, 0.0).unwrap();
        let out = g.render_frames(256).remove(0);
        assert!((out[1] - 0.005).abs() < 1e-6, "a 24 kHz buffer plays at half speed: {}", out[1]);
        let mut small =
            OfflineRenderer::with_config(EngineConfig { memory_budget: 1 << 20, ..EngineConfig::new(48_000.0) });
        let big = small.add("buffer-source").unwrap();
        let err = small
            .configure(
                big,
                "buffer",
                SettingValue::Samples { sample_rate: 48_000.0, channels: vec![vec![0.0; 300_000]] },
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::TooLarge);
        let nan = small.configure(
            big,
            "buffer",
            SettingValue::Samples { sample_rate: 48_000.0, channels: vec![vec![f32::NAN; 4]] },
        );
        assert_eq!(nan.unwrap_err().code, ErrorCode::NonFinite);
    }
}
