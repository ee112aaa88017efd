//! Render thread: algorithmic reverb — a feedback delay network of eight lines mixed by a
//! Householder matrix, each line's loss set so the tail falls 60 dB in `decay` seconds, a
//! one-pole lowpass in every loop for `damping` (high frequencies die sooner), a `preDelay`,
//! and a dry/wet `mix`. Stereo out from alternate lines. Lines are allocated when the node is
//! built, for the largest `size`.

use super::{params_for, NodeType};
use crate::graph::{Bound, ChannelRule, EngineConfig, NodeSpec, ParamSpec};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::simd::flush_subnormals;
use crate::QUANTUM;

const LINES: usize = 8;
/// Line lengths at `size` 1, in seconds: mutually prime in samples at common rates, so the
/// echoes do not pile up on one period.
const LENGTHS: [f64; LINES] = [0.0597, 0.0743, 0.0821, 0.0873, 0.1067, 0.1199, 0.1343, 0.1463];
const MAX_PRE_DELAY: f64 = 0.5;

const PARAMS: [ParamSpec; 5] = [
    ParamSpec::new("size", 0.5, Bound::Value(0.1), Bound::Value(1.0)).k_rate(),
    ParamSpec::new("decay", 2.0, Bound::Value(0.1), Bound::Value(30.0)).k_rate().log_control(0.1, 30.0),
    ParamSpec::new("damping", 0.4, Bound::Value(0.0), Bound::Value(0.95)).k_rate(),
    ParamSpec::new("preDelay", 0.02, Bound::Value(0.0), Bound::Value(MAX_PRE_DELAY as f32)).k_rate(),
    ParamSpec::new("mix", 0.3, Bound::Value(0.0), Bound::Value(1.0)).k_rate(),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "reverb",
    factory: "createReverb",
    channels: ChannelRule::Stereo,
    params: &PARAMS,
    tail_seconds: 30.0,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Reverb::new(config)),
    memory: |config, _| line_frames(f64::from(config.sample_rate)) * core::mem::size_of::<f32>(),
    prepare: super::as_given,
};

fn line_frames(sample_rate: f64) -> usize {
    LENGTHS.iter().map(|l| (l * sample_rate).ceil() as usize + 2).sum::<usize>()
        + (MAX_PRE_DELAY * sample_rate) as usize
        + QUANTUM
}

/// The network's state.
#[derive(Debug)]
struct Network {
    lines: [Vec<f32>; LINES],
    heads: [usize; LINES],
    lowpass: [f32; LINES],
    pre: Vec<f32>,
    pre_head: usize,
    sample_rate: f64,
    /// Quanta since the input went silent, to stop once the tail is gone.
    silent_quanta: u32,
}

/// An algorithmic reverb.
#[derive(Debug)]
pub struct Reverb {
    params: [Param; 5],
    net: Network,
}

impl Reverb {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        let net = Network {
            lines: core::array::from_fn(|i| vec![0.0; (LENGTHS[i] * sample_rate).ceil() as usize + 2]),
            heads: [0; LINES],
            lowpass: [0.0; LINES],
            pre: vec![0.0; (MAX_PRE_DELAY * sample_rate) as usize + QUANTUM],
            pre_head: 0,
            sample_rate,
            silent_quanta: u32::MAX,
        };
        Self { params: params_for(&PARAMS, config), net }
    }
}

impl Processor for Reverb {
    fn reset(&mut self) {
        for line in &mut self.net.lines {
            line.fill(0.0);
        }
        self.net.pre.fill(0.0);
        self.net.lowpass = [0.0; LINES];
    }

    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let input = inputs[0];
        let [size, decay, damping, pre_delay, mix] = &mut self.params;
        let size = f64::from(size.render(cx.time, cx.sample_rate).at(0));
        let decay = f64::from(decay.render(cx.time, cx.sample_rate).at(0));
        let damping = damping.render(cx.time, cx.sample_rate).at(0);
        let pre_delay = f64::from(pre_delay.render(cx.time, cx.sample_rate).at(0));
        let mix = mix.render(cx.time, cx.sample_rate).at(0);
        let net = &mut self.net;
        if input.is_silent() {
            net.silent_quanta = net.silent_quanta.saturating_add(1);
            let tail_quanta = ((decay + MAX_PRE_DELAY) * net.sample_rate / QUANTUM as f64) as u32 + 2;
            if net.silent_quanta > tail_quanta {
                output.set_silent(2);
                return Status::Normal;
            }
        } else {
            net.silent_quanta = 0;
        }
        let sr = net.sample_rate;
        let lengths: [usize; LINES] =
            core::array::from_fn(|i| ((LENGTHS[i] * size * sr) as usize).clamp(1, net.lines[i].len() - 1));
        // Loss per pass of each line: −60 dB over `decay` seconds.
        let gains: [f32; LINES] = core::array::from_fn(|i| 10f64.powf(-3.0 * lengths[i] as f64 / (decay * sr)) as f32);
        let pre_frames = ((pre_delay * sr) as usize).min(net.pre.len() - 1);
        let (dry_gain, wet_gain) = (1.0 - mix, mix * 0.5);
        let stereo = input.channels() > 1 && !input.is_silent();
        for i in 0..QUANTUM {
            let (l, r) = if input.is_silent() { (0.0, 0.0) } else { (input.channel(0)[i], input.channel(1)[i]) };
            let dry_mono = if stereo { 0.5 * (l + r) } else { l };
            let pre_len = net.pre.len();
            net.pre[net.pre_head] = dry_mono;
            let delayed = net.pre[(net.pre_head + pre_len - pre_frames) % pre_len];
            net.pre_head = (net.pre_head + 1) % pre_len;
            let mut taps = [0f32; LINES];
            for (k, tap) in taps.iter_mut().enumerate() {
                let line = &net.lines[k];
                let len = line.len();
                let read = line[(net.heads[k] + len - lengths[k]) % len];
                // Damping: a one-pole lowpass in the loop.
                net.lowpass[k] = read + damping * (net.lowpass[k] - read);
                *tap = net.lowpass[k] * gains[k];
            }
            // Householder: x − (2/N)·Σx keeps the energy and mixes every line into every other.
            let sum: f32 = taps.iter().sum::<f32>() * (2.0 / LINES as f32);
            let (mut wet_l, mut wet_r) = (0.0, 0.0);
            for (k, &tap) in taps.iter().enumerate() {
                let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
                let line = &mut net.lines[k];
                let len = line.len();
                line[net.heads[k]] = tap - sum + sign * delayed * 0.35;
                net.heads[k] = (net.heads[k] + 1) % len;
                if k % 2 == 0 {
                    wet_l += tap;
                } else {
                    wet_r += tap;
                }
            }
            output.channel_mut(0)[i] = dry_gain * l + wet_gain * wet_l;
            output.channel_mut(1)[i] = dry_gain * if stereo { r } else { l } + wet_gain * wet_r;
        }
        for line in &mut net.lines {
            flush_subnormals(line);
        }
        for v in &mut net.lowpass {
            if v.abs() < f32::MIN_POSITIVE {
                *v = 0.0;
            }
        }
        output.set_audible(2);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }
}

#[cfg(test)]
mod tests {
    use crate::offline::OfflineRenderer;

    fn impulse_response(settings: &[(&str, f32)], seconds: f64) -> Vec<f32> {
        let mut g = OfflineRenderer::new(48_000.0);
        let src = g.add("constant-source").unwrap();
        g.start(src, 0.0).unwrap();
        g.stop(src, 1.0 / 48_000.0).unwrap();
        let rev = g.add("reverb").unwrap();
        for &(name, value) in settings {
            g.set(rev, name, value).unwrap();
        }
        g.connect(src, rev).unwrap();
        g.connect(rev, g.destination()).unwrap();
        g.render_frames((48_000.0 * seconds) as usize).remove(0)
    }

    /// Reverberation time from the Schroeder decay curve, fitted between −5 and −25 dB.
    fn rt60(ir: &[f32]) -> f64 {
        let mut energy: Vec<f64> = ir.iter().map(|&v| f64::from(v) * f64::from(v)).collect();
        for i in (0..energy.len() - 1).rev() {
            energy[i] += energy[i + 1];
        }
        let db = |i: usize| 10.0 * (energy[i] / energy[0]).log10();
        let t5 = (0..energy.len()).find(|&i| db(i) < -5.0).unwrap();
        let t25 = (0..energy.len()).find(|&i| db(i) < -25.0).unwrap();
        (t25 - t5) as f64 / 48_000.0 * 3.0
    }

    #[test]
    fn the_tail_falls_60_db_in_the_decay_time() {
        for decay in [1.0f32, 3.0] {
            let ir =
                impulse_response(&[("decay", decay), ("mix", 1.0), ("preDelay", 0.0)], f64::from(decay) * 1.5 + 0.5);
            let measured = rt60(&ir);
            assert!((measured / f64::from(decay) - 1.0).abs() < 0.2, "decay {decay} s: measured {measured:.2} s");
        }
    }

    #[test]
    fn damping_shortens_the_high_end_and_mix_zero_is_dry() {
        let ir = impulse_response(&[("decay", 2.0), ("mix", 1.0), ("damping", 0.8)], 1.0);
        let roughness = |x: &[f32]| {
            x.windows(2).map(|w| f64::from(w[1] - w[0]).powi(2)).sum::<f64>()
                / x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>()
        };
        let (early, late) = (roughness(&ir[2400..9600]), roughness(&ir[24_000..43_200]));
        assert!(late < early * 0.5, "the tail darkens: early {early:.3}, late {late:.3}");
        let dry = impulse_response(&[("mix", 0.0)], 0.1);
        assert_eq!(dry[0], 1.0);
        assert!(dry[1..].iter().all(|&v| v == 0.0));
        let wet = impulse_response(&[("mix", 1.0), ("preDelay", 0.05), ("size", 0.5)], 0.2);
        let first = wet.iter().position(|v| v.abs() > 1e-6).unwrap();
        assert!(first >= 2400, "nothing before the pre-delay: first sound at frame {first}");
    }
}
