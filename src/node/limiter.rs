//! Render thread: true-peak brick-wall limiter. The input is delayed by a 5 ms lookahead; the
//! gain needed to keep every true peak (the signal between samples, estimated at 4× the rate)
//! under `ceiling` is taken as a sliding minimum over the lookahead and then averaged over it,
//! so the gain is down to what a peak needs by the time the peak comes out, and moves smoothly.
//! Afterwards it rises back over `release`. Stereo channels share one gain.

use super::{params_for, NodeType};
use crate::dsp::resample::Upsampler;
use crate::graph::{Bound, ChannelRule, EngineConfig, NodeSpec, ParamSpec};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::{MAX_CHANNELS, QUANTUM};

/// How far ahead the limiter looks.
pub const LOOKAHEAD_SECONDS: f64 = 0.005;
const OVERSAMPLE: usize = 4;

const PARAMS: [ParamSpec; 2] = [
    ParamSpec::new("ceiling", -1.0, Bound::Value(-60.0), Bound::Value(0.0)).k_rate(),
    ParamSpec::new("release", 0.1, Bound::Value(0.001), Bound::Value(5.0)).k_rate().log_control(0.001, 5.0),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "limiter",
    factory: "createLimiter",
    channels: ChannelRule::FollowsInput,
    params: &PARAMS,
    latency_seconds: LOOKAHEAD_SECONDS,
    tail_seconds: LOOKAHEAD_SECONDS,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Limiter::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// The limiter's state.
#[derive(Debug)]
struct State {
    lookahead: usize,
    /// Delayed audio per channel, a ring of `lookahead`: the delay at which a window of
    /// `lookahead + 1` minimums, averaged, has caught every peak.
    delay: [Vec<f32>; MAX_CHANNELS],
    /// Gains needed per frame, a ring of `lookahead + 1`, and a deque of indices into it whose
    /// gains increase (the sliding minimum).
    needed: Vec<f32>,
    window: Vec<usize>,
    window_head: usize,
    window_len: usize,
    /// The sliding minimums of the last `lookahead + 1` frames and their sum (the average).
    minimums: Vec<f32>,
    sum: f64,
    head: usize,
    frame: usize,
    gain: f32,
    up: [Upsampler; MAX_CHANNELS],
    high: [f32; OVERSAMPLE * QUANTUM],
    peaks: [f32; QUANTUM],
    channels: usize,
    silent_quanta: u32,
    sample_rate: f64,
}

/// A brick-wall limiter.
#[derive(Debug)]
pub struct Limiter {
    params: [Param; 2],
    state: State,
}

impl Limiter {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        let lookahead = (LOOKAHEAD_SECONDS * sample_rate).round() as usize;
        let ring = lookahead + 1;
        let state = State {
            lookahead,
            delay: core::array::from_fn(|_| vec![0.0; lookahead.max(1)]),
            needed: vec![1.0; ring],
            window: vec![0; ring],
            window_head: 0,
            window_len: 0,
            minimums: vec![1.0; ring],
            sum: ring as f64,
            head: 0,
            frame: 0,
            gain: 1.0,
            up: core::array::from_fn(|_| Upsampler::new(OVERSAMPLE)),
            high: [0.0; OVERSAMPLE * QUANTUM],
            peaks: [0.0; QUANTUM],
            channels: 1,
            silent_quanta: u32::MAX,
            sample_rate,
        };
        Self { params: params_for(&PARAMS, config), state }
    }
}

impl State {
    /// Pushes the gain needed at the newest frame; returns the minimum over the window.
    fn sliding_minimum(&mut self, needed: f32) -> f32 {
        let ring = self.needed.len();
        let at = self.frame % ring;
        self.needed[at] = needed;
        // Drop from the back every index whose gain is not below the new one.
        while self.window_len > 0 {
            let back = self.window[(self.window_head + self.window_len - 1) % ring];
            if self.needed[back % ring] >= needed {
                self.window_len -= 1;
            } else {
                break;
            }
        }
        self.window[(self.window_head + self.window_len) % ring] = self.frame;
        self.window_len += 1;
        // Drop from the front what has left the window.
        while self.frame - self.window[self.window_head] >= ring {
            self.window_head = (self.window_head + 1) % ring;
            self.window_len -= 1;
        }
        self.needed[self.window[self.window_head] % ring]
    }
}

impl Processor for Limiter {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let input = inputs[0];
        let [ceiling, release] = &mut self.params;
        let ceiling = 10f32.powf(ceiling.render(cx.time, cx.sample_rate).at(0) / 20.0);
        let release = release.render(cx.time, cx.sample_rate).at(0);
        let s = &mut self.state;
        if input.is_silent() {
            s.silent_quanta = s.silent_quanta.saturating_add(1);
            if s.silent_quanta as usize * QUANTUM > 2 * s.lookahead + QUANTUM && s.gain >= 0.999_999 {
                output.set_silent(s.channels);
                return Status::Normal;
            }
        } else {
            s.silent_quanta = 0;
            s.channels = input.channels();
        }
        let channels = s.channels;
        // True peaks of this quantum: the larger of each sample and its oversampled neighbours.
        s.peaks.fill(0.0);
        for ch in 0..channels {
            let src = if input.is_silent() { &[0.0; QUANTUM] } else { input.channel(ch) };
            s.up[ch].process(src, &mut s.high);
            for (i, peak) in s.peaks.iter_mut().enumerate() {
                let around =
                    s.high[i * OVERSAMPLE..(i + 1) * OVERSAMPLE].iter().fold(src[i].abs(), |m, v| m.max(v.abs()));
                *peak = peak.max(around);
            }
        }
        let ring = s.lookahead + 1;
        let rise = (1.0 / (f64::from(release) * s.sample_rate)) as f32;
        for i in 0..QUANTUM {
            let needed = if s.peaks[i] > ceiling { ceiling / s.peaks[i] } else { 1.0 };
            let minimum = s.sliding_minimum(needed);
            // The average of the window's minimums: every one covers the peak by the time it is
            // played, so the average is never above what the peak needs.
            let slot = s.head;
            s.sum += f64::from(minimum) - f64::from(s.minimums[slot]);
            s.minimums[slot] = minimum;
            let average = (s.sum / ring as f64) as f32;
            s.gain = if average < s.gain { average } else { (s.gain + rise).min(average) };
            let at = s.frame % s.delay[0].len();
            for ch in 0..channels {
                let x = if input.is_silent() { 0.0 } else { input.channel(ch)[i] };
                let delayed = s.delay[ch][at];
                s.delay[ch][at] = x;
                output.channel_mut(ch)[i] = delayed * s.gain;
            }
            s.head = (s.head + 1) % ring;
            s.frame += 1;
        }
        output.set_audible(channels);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }
}

#[cfg(test)]
mod tests {
    use crate::dsp::resample::Upsampler;
    use crate::offline::OfflineRenderer;

    /// The true peak of `signal` in dBTP, from 4× oversampling.
    fn true_peak_db(signal: &[f32]) -> f32 {
        let mut up = Upsampler::new(4);
        let mut high = vec![0.0; signal.len() * 4];
        up.process(signal, &mut high);
        20.0 * high.iter().chain(signal).fold(0f32, |m, v| m.max(v.abs())).log10()
    }

    fn limited(level: f32, hz: f32) -> (Vec<f32>, Vec<f32>) {
        let mut g = OfflineRenderer::new(48_000.0);
        let osc = g.add("oscillator").unwrap();
        g.set(osc, "frequency", hz).unwrap();
        g.start(osc, 0.0).unwrap();
        let boost = g.add("gain").unwrap();
        g.set(boost, "gain", level).unwrap();
        let lim = g.add("limiter").unwrap();
        g.set(lim, "ceiling", -1.0).unwrap();
        g.connect(osc, boost).unwrap();
        g.connect(boost, lim).unwrap();
        g.connect(lim, g.destination()).unwrap();
        let out = g.render_frames(48_000).remove(0);
        let mut r = OfflineRenderer::new(48_000.0);
        let osc = r.add("oscillator").unwrap();
        r.set(osc, "frequency", hz).unwrap();
        r.start(osc, 0.0).unwrap();
        let boost = r.add("gain").unwrap();
        r.set(boost, "gain", level).unwrap();
        r.connect(osc, boost).unwrap();
        r.connect(boost, r.destination()).unwrap();
        (out, r.render_frames(48_000).remove(0))
    }

    #[test]
    fn loud_input_never_passes_the_ceiling_even_between_samples() {
        // 11 kHz at +12 dB: its true peaks fall between samples.
        for (level, hz) in [(4.0, 11_000.0), (4.0, 997.0), (2.0, 7_001.0)] {
            let (out, _) = limited(level, hz);
            let peak = true_peak_db(&out);
            assert!(peak <= -1.0 + 0.1, "{hz} Hz × {level}: true peak {peak:.2} dBTP over a −1 dBTP ceiling");
            assert!(peak > -3.0, "and not crushed: {peak:.2} dBTP");
        }
    }

    #[test]
    fn quiet_input_passes_unchanged_after_the_lookahead() {
        let (out, dry) = limited(0.5, 440.0);
        let lookahead = 240;
        let err = (0..dry.len() - lookahead).map(|i| (out[i + lookahead] - dry[i]).abs()).fold(0.0, f32::max);
        assert!(err < 1e-6, "a signal under the ceiling is only delayed: error {err}");
    }
}
