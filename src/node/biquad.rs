//! Render thread: biquad filter (Web Audio's BiquadFilterNode), all eight types, on the f64
//! direct-form kernels, straight from the input channels to the output channels: f32 state
//! drifts audibly from browsers' filters at low cutoffs (errors near 1e-3 at 20 Hz), f64
//! does not. Changing the
//! type while it sounds crossfades from the old filter over 10 ms, so it never clicks.

use super::oscillator::DETUNE_LIMIT;
use super::{params_for, NodeType};
use crate::dsp::biquad::{Coefficients, Design, FilterType};
use crate::graph::{
    Bound, EngineConfig, ErrorCode, NodeSpec, ParamSpec, RenderError, SettingKind, SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status, GLIDE_SECONDS, SILENCE};
use crate::simd::{
    biquad_df1, biquad_df1_group, biquad_df1_mono, biquad_df1_side, flush_subnormals, DirectFormState, History,
    Native64,
};
use crate::QUANTUM;
use core::ops::Range;

/// Biquad gain's upper bound in dB: 40·log10(FLT_MAX), as in Web Audio.
pub const GAIN_LIMIT: f32 = 1541.0;

const PARAMS: [ParamSpec; 4] = [
    ParamSpec::new("frequency", 350.0, Bound::Value(0.0), Bound::Nyquist).log_control(20.0, 20_000.0),
    ParamSpec::new("detune", 0.0, Bound::Value(-DETUNE_LIMIT), Bound::Value(DETUNE_LIMIT)).control(-1200.0, 1200.0),
    ParamSpec::new("Q", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).control(-10.0, 30.0),
    ParamSpec::new("gain", 0.0, Bound::Value(f32::MIN), Bound::Value(GAIN_LIMIT)).control(-24.0, 24.0),
];
const SETTINGS: [SettingSpec; 1] = [SettingSpec::new("type", SettingKind::Choice { choices: &FilterType::NAMES })];

pub const SPEC: NodeSpec = NodeSpec {
    name: "biquad",
    factory: "createBiquadFilter",
    params: &PARAMS,
    settings: &SETTINGS,
    // A resonant filter rings; a second is ample for any Q a mix uses.
    tail_seconds: 1.0,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Biquad::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// The filter before a type change, still heard while the new one fades in.
#[derive(Clone, Copy, Debug)]
struct TypeFade {
    coeffs: Coefficients,
    state: DirectFormState,
    frames_left: u32,
}

/// A second-order filter with `frequency`, `detune`, `Q` and `gain` parameters.
#[derive(Debug)]
pub struct Biquad {
    params: [Param; 4],
    core: Core,
}

/// Everything but the parameters, so a quantum's values and the filter borrow apart.
#[derive(Debug)]
struct Core {
    kind: FilterType,
    sample_rate: f64,
    designed: Option<Design>,
    coeffs: Coefficients,
    state: DirectFormState,
    state_is_zero: bool,
    channels: usize,
    fade: Option<TypeFade>,
    fade_frames: u32,
    fade_output: [[f32; QUANTUM]; 2],
}

impl Biquad {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        let core = Core {
            kind: FilterType::Lowpass,
            sample_rate,
            designed: None,
            coeffs: Coefficients::gain(1.0),
            state: DirectFormState::default(),
            state_is_zero: true,
            channels: 1,
            fade: None,
            fade_frames: ((GLIDE_SECONDS * sample_rate).round() as u32).max(1),
            fade_output: [[0.0; QUANTUM]; 2],
        };
        Self { params: params_for(&PARAMS, config), core }
    }
}

/// The parameters' values for this quantum.
fn render_values<'a>(params: &'a mut [Param; 4], cx: &ProcessContext) -> [ParamValues<'a>; 4] {
    let [frequency, detune, q, gain] = params;
    [
        frequency.render(cx.time, cx.sample_rate),
        detune.render(cx.time, cx.sample_rate),
        q.render(cx.time, cx.sample_rate),
        gain.render(cx.time, cx.sample_rate),
    ]
}

/// What the engine groups biquads by (see [`Processor::group_key`]).
const GROUP_KEY: u32 = 0xb1_0ad;

/// Runs frames `range` of `source` through the filter into the output channels: the mono
/// kernel for one channel, the two-lane kernel for a stereo pair.
fn filter(
    coeffs: &Coefficients,
    state: &mut DirectFormState,
    source: &AudioBuf,
    [left, right]: [&mut [f32; QUANTUM]; 2],
    channels: usize,
    range: Range<usize>,
) {
    let r = range;
    if channels == 1 {
        biquad_df1_mono(coeffs, state, &source.channel(0)[r.clone()], &mut left[r]);
    } else {
        let inputs = [&source.channel(0)[r.clone()], &source.channel(1)[r.clone()]];
        biquad_df1::<Native64>([coeffs, coeffs], state, inputs, [&mut left[r.clone()], &mut right[r]]);
    }
}

fn design_at(kind: FilterType, values: &[ParamValues<'_>; 4], frame: usize) -> Design {
    Design {
        kind,
        frequency: f64::from(values[0].at(frame)),
        detune: f64::from(values[1].at(frame)),
        q: f64::from(values[2].at(frame)),
        gain_db: f64::from(values[3].at(frame)),
    }
}

impl Core {
    /// Coefficients for steady values, designed again only when they change.
    fn design(&mut self, values: &[ParamValues<'_>; 4]) {
        let design = design_at(self.kind, values, 0);
        if self.designed != Some(design) {
            self.coeffs = design.coefficients(self.sample_rate);
            self.designed = Some(design);
        }
    }

    /// Filters one quantum of `input` into `output` with this quantum's parameter values.
    fn run(&mut self, values: &[ParamValues<'_>; 4], input: &AudioBuf, output: &mut AudioBuf) -> Status {
        if input.is_silent() && self.state_is_zero && self.fade.is_none() {
            output.set_silent(self.channels);
            return Status::Normal;
        }
        // A silent input still lets the filter ring out: it reads zeros.
        let source = if input.is_silent() { &SILENCE } else { input };
        if !input.is_silent() {
            self.channels = input.channels();
        }
        let channels = self.channels;
        let [left, right] = output.stereo_mut();
        if values.iter().all(|v| matches!(v, ParamValues::Constant(_))) {
            self.design(values);
            filter(&self.coeffs, &mut self.state, source, [left, right], channels, 0..QUANTUM);
        } else {
            // Automated: coefficients follow the parameters frame by frame (a-rate).
            for i in 0..QUANTUM {
                self.coeffs = design_at(self.kind, values, i).coefficients(self.sample_rate);
                filter(&self.coeffs, &mut self.state, source, [&mut *left, &mut *right], channels, i..i + 1);
            }
            self.designed = None;
        }
        self.state_is_zero = self.state.flush_denormals();
        if let Some(fade) = &mut self.fade {
            let [old_left, old_right] = &mut self.fade_output;
            filter(&fade.coeffs, &mut fade.state, source, [old_left, old_right], channels, 0..QUANTUM);
            let mixed = (fade.frames_left as usize).min(QUANTUM);
            for (ch, new) in [&mut *left, &mut *right].into_iter().enumerate().take(channels) {
                for (i, (sample, old)) in new.iter_mut().zip(&self.fade_output[ch]).enumerate().take(mixed) {
                    let weight = (fade.frames_left as usize - i) as f32 / self.fade_frames as f32;
                    *sample += (old - *sample) * weight;
                }
            }
            fade.frames_left -= mixed as u32;
            if fade.frames_left == 0 {
                self.fade = None;
            }
        }
        for samples in [left, right].into_iter().take(channels) {
            flush_subnormals(samples);
        }
        output.set_audible(channels);
        Status::Normal
    }
}

/// [`Processor::process_group`] for `K` biquads whose parameters hold still this quantum.
fn run_group<const K: usize>(
    members: [Option<&mut Biquad>; K],
    inputs: &[&[f32; QUANTUM]],
    outputs: &mut [&mut AudioBuf],
    chained: bool,
    cx: &ProcessContext,
) -> bool {
    if members.iter().any(Option::is_none) || outputs.len() != K || inputs.is_empty() {
        return false;
    }
    let mut members = members.map(|m| m.expect("checked above"));
    let mut coeffs = [Coefficients::gain(1.0); K];
    let mut history = [History::default(); K];
    for (k, member) in members.iter_mut().enumerate() {
        let values = render_values(&mut member.params, cx);
        let core = &mut member.core;
        core.design(&values);
        coeffs[k] = core.coeffs;
        history[k] = History { x1: core.state.x1[0], x2: core.state.x2[0], y1: core.state.y1[0], y2: core.state.y2[0] };
    }
    let lane_inputs: [&[f32; QUANTUM]; K] =
        core::array::from_fn(|k| inputs[if chained { 0 } else { k.min(inputs.len() - 1) }]);
    let mut channels = outputs.iter_mut();
    let mut lane_outputs: [&mut [f32; QUANTUM]; K] =
        core::array::from_fn(|_| channels.next().expect("one output per member").channel_mut(0));
    if chained {
        biquad_df1_group::<K>(&coeffs, &mut history, &lane_inputs, &mut lane_outputs, true);
    } else {
        side_by_side::<K>(&coeffs, &mut history, &lane_inputs, &mut lane_outputs);
    }
    for (lane, samples) in lane_outputs.into_iter().enumerate() {
        flush_subnormals(samples);
        let core = &mut members[lane].core;
        let h = history[lane];
        (core.state.x1[0], core.state.x2[0], core.state.y1[0], core.state.y2[0]) = (h.x1, h.x2, h.y1, h.y2);
        core.state_is_zero = core.state.flush_denormals();
        core.channels = 1;
    }
    for out in outputs.iter_mut() {
        out.set_audible(1);
    }
    true
}

/// [`biquad_df1_side`] with as many lane pairs as `K` filters need.
fn side_by_side<const K: usize>(
    coeffs: &[Coefficients; K],
    history: &mut [History; K],
    inputs: &[&[f32; QUANTUM]; K],
    outputs: &mut [&mut [f32; QUANTUM]; K],
) {
    macro_rules! pairs {
        ($($p:literal)*) => {
            match K.div_ceil(2) {
                $($p => biquad_df1_side::<Native64, K, $p>(coeffs, history, inputs, outputs),)*
                _ => unreachable!("groups side by side hold at most SIDE_GROUP filters"),
            }
        };
    }
    pairs!(1 2 3 4)
}

impl Processor for Biquad {
    fn reset(&mut self) {
        self.core.state = DirectFormState::default();
        self.core.state_is_zero = true;
    }

    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let values = render_values(&mut self.params, cx);
        self.core.run(&values, inputs[0], &mut outputs[0])
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn core::any::Any> {
        Some(self)
    }

    fn group_key(&self) -> Option<u32> {
        Some(GROUP_KEY)
    }

    fn groupable(&self) -> bool {
        self.core.fade.is_none() && self.params.iter().all(Param::is_steady)
    }

    /// Up to four mono biquads in series, or eight side by side, in one kernel: a filter is one
    /// long chain of dependent operations, so several in flight cost little more than one. The
    /// arithmetic per filter is the mono kernel's, so the output is bit for bit the same.
    fn process_group(
        &mut self,
        rest: &mut [&mut (dyn Processor + 'static)],
        inputs: &[&[f32; QUANTUM]],
        outputs: &mut [&mut AudioBuf],
        chained: bool,
        cx: &ProcessContext,
    ) -> bool {
        let mut members = [Some(self)]
            .into_iter()
            .chain(rest.iter_mut().map(|p| p.as_any_mut().and_then(|p| p.downcast_mut::<Biquad>())));
        macro_rules! sizes {
            ($($k:literal)*) => {
                match outputs.len() {
                    $($k => run_group::<$k>(core::array::from_fn(|_| members.next().flatten()), inputs, outputs, chained, cx),)*
                    _ => false,
                }
            };
        }
        sizes!(2 3 4 5 6 7 8)
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &*value) {
            (0, &SettingValue::Choice(index)) => {
                let kind = FilterType::from_index(index)
                    .ok_or(RenderError::new(ErrorCode::BadSetting, "unknown filter type"))?;
                let core = &mut self.core;
                if kind != core.kind && !core.state_is_zero {
                    core.fade =
                        Some(TypeFade { coeffs: core.coeffs, state: core.state, frames_left: core.fade_frames });
                }
                core.kind = kind;
                Ok(())
            }
            _ => Err(RenderError::new(ErrorCode::BadSetting, "a biquad takes only a filter type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::dsp::biquad::Design;
    use crate::dsp::biquad::FilterType;
    use crate::offline::OfflineRenderer;

    const SR: f64 = 48_000.0;

    /// Amplitude of a steady sine through the node, measured by correlation after the
    /// transient has died away.
    fn measured_gain(kind: FilterType, frequency: f32, q: f32, gain_db: f32, probe_hz: f64) -> f64 {
        let mut g = OfflineRenderer::new(SR as f32);
        let osc = g.add("oscillator").unwrap();
        let filter = g.add("biquad").unwrap();
        g.choose(filter, "type", kind.name()).unwrap();
        g.set(filter, "frequency", frequency).unwrap();
        g.set(filter, "Q", q).unwrap();
        g.set(filter, "gain", gain_db).unwrap();
        g.set(osc, "frequency", probe_hz as f32).unwrap();
        g.start(osc, 0.0).unwrap();
        g.connect(osc, filter).unwrap();
        g.connect(filter, g.destination()).unwrap();
        let out = g.render_frames(24_000).remove(0);
        let skip = 12_000;
        let (mut re, mut im) = (0.0, 0.0);
        // Whole number of probe periods keeps the correlation exact.
        let periods = ((out.len() - skip) as f64 * probe_hz / SR).floor();
        let n = (periods * SR / probe_hz).round() as usize;
        for (i, &v) in out[skip..skip + n].iter().enumerate() {
            let w = core::f64::consts::TAU * probe_hz * (skip + i) as f64 / SR;
            re += f64::from(v) * w.cos();
            im += f64::from(v) * w.sin();
        }
        2.0 * re.hypot(im) / n as f64
    }

    #[test]
    fn changing_type_while_sounding_crossfades_instead_of_clicking() {
        // A click is broadband: it shows as a spike in the second difference. A steady 200 Hz
        // sine's second difference is (2π·200/48000)² ≈ 6.9e-4; switching type at once
        // spikes it to 1e-2 and more.
        let sine_curvature = (core::f32::consts::TAU * 200.0 / SR as f32).powi(2);
        for to in [FilterType::Highpass, FilterType::Bandpass] {
            let mut g = OfflineRenderer::new(SR as f32);
            let osc = g.add("oscillator").unwrap();
            let filter = g.add("biquad").unwrap();
            g.set(osc, "frequency", 200.0).unwrap();
            g.set(filter, "frequency", 5000.0).unwrap();
            g.start(osc, 0.0).unwrap();
            g.connect(osc, filter).unwrap();
            g.connect(filter, g.destination()).unwrap();
            g.render_frames(15 * 128);
            g.choose(filter, "type", to.name()).unwrap();
            let out = g.render_frames(4800).remove(0);
            let curvature = out.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()).fold(0.0, f32::max);
            assert!(curvature < 1.5 * sine_curvature, "{to:?}: curvature {curvature}, a sine's is {sine_curvature}");
        }
    }

    #[test]
    fn each_type_matches_the_spec_magnitude_response() {
        let settings: [(FilterType, f32, f32, f32); 8] = [
            (FilterType::Lowpass, 1000.0, 6.0, 0.0),
            (FilterType::Highpass, 2000.0, 3.0, 0.0),
            (FilterType::Bandpass, 1500.0, 4.0, 0.0),
            (FilterType::Lowshelf, 800.0, 1.0, 9.0),
            (FilterType::Highshelf, 3000.0, 1.0, -6.0),
            (FilterType::Peaking, 2500.0, 2.0, 10.0),
            (FilterType::Notch, 1200.0, 5.0, 0.0),
            (FilterType::Allpass, 700.0, 0.8, 0.0),
        ];
        for (kind, frequency, q, gain_db) in settings {
            let design = Design {
                kind,
                frequency: f64::from(frequency),
                detune: 0.0,
                q: f64::from(q),
                gain_db: f64::from(gain_db),
            };
            let coeffs = design.coefficients(SR);
            for probe in [100.0, 700.0, 1500.0, 5000.0, 12_000.0] {
                let expected = coeffs.magnitude_at(probe, SR);
                let measured = measured_gain(kind, frequency, q, gain_db, probe);
                let tolerance = 2e-3 * expected.max(1e-2);
                assert!(
                    (measured - expected).abs() < tolerance.max(2e-4),
                    "{kind:?} at {probe} Hz: measured {measured}, spec {expected}"
                );
            }
        }
    }
}
