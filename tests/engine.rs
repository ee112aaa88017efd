//! Native integration tests of the whole engine through `OfflineRenderer`: mixing, channel
//! rules, gain law, and that every kind of bad request is refused with a clear error while
//! the engine keeps playing exactly what it had.

use quaver::graph::{decode_batch, AutomationEvent, EngineConfig, ErrorCode, NodeId, SettingValue, WireCommand};
use quaver::offline::OfflineRenderer;
use quaver::render::AudioBuf;
use quaver::render::{ProcessContext, Processor, Status};

const SR: f32 = 48_000.0;

fn sine(g: &mut OfflineRenderer, hz: f32) -> NodeId {
    let osc = g.add("oscillator").unwrap();
    g.set(osc, "frequency", hz).unwrap();
    g.start(osc, 0.0).unwrap();
    osc
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn several_connections_into_one_input_are_summed() {
    let render = |hzs: &[f32]| {
        let mut g = OfflineRenderer::new(SR);
        let gain = g.add("gain").unwrap();
        for &hz in hzs {
            let osc = sine(&mut g, hz);
            g.connect(osc, gain).unwrap();
        }
        g.connect(gain, g.destination()).unwrap();
        g.render_frames(2048).remove(0)
    };
    let both = render(&[300.0, 710.0]);
    let a = render(&[300.0]);
    let b = render(&[710.0]);
    let sum: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    assert!(max_diff(&both, &sum) < 1e-6);
    assert!(both.iter().any(|v| v.abs() > 1.5), "the sum really has both");
}

#[test]
fn mono_reaches_both_speakers_and_gain_scales_exactly() {
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 1000.0);
    let gain = g.add("gain").unwrap();
    g.set(gain, "gain", 0.25).unwrap();
    g.connect(osc, gain).unwrap();
    g.connect(gain, g.destination()).unwrap();
    let out = g.render_frames(960);
    assert_eq!(out[0], out[1], "mono is up-mixed to identical left and right");
    for (n, v) in out[0].iter().enumerate() {
        let expected = 0.25 * (std::f64::consts::TAU * 1000.0 * n as f64 / f64::from(SR)).sin();
        assert!((f64::from(*v) - expected).abs() < 1e-6);
    }
}

#[test]
fn gain_ramp_is_sample_accurate() {
    let mut g = OfflineRenderer::new(SR);
    let gain = g.add("gain").unwrap();
    let src = g.add_custom(0, 1, Box::new(Constant(1.0))).unwrap();
    g.connect(src, gain).unwrap();
    g.connect(gain, g.destination()).unwrap();
    g.automate(gain, "gain", AutomationEvent::SetValueAtTime { value: 0.0, time: 0.0 }).unwrap();
    g.automate(gain, "gain", AutomationEvent::LinearRampToValueAtTime { value: 1.0, time: 1000.0 / f64::from(SR) })
        .unwrap();
    let out = g.render_frames(1200).remove(0);
    for n in [0usize, 250, 500, 999] {
        assert!((out[n] - n as f32 / 1000.0).abs() < 1e-5, "frame {n}: {}", out[n]);
    }
    assert!(out[1000..].iter().all(|&v| v == 1.0));
}

#[test]
fn stereo_panner_follows_equal_power_law_in_the_graph() {
    let mut g = OfflineRenderer::new(SR);
    let src = g.add_custom(0, 1, Box::new(Constant(1.0))).unwrap();
    let pan = g.add("stereo-panner").unwrap();
    g.set(pan, "pan", 0.5).unwrap();
    g.connect(src, pan).unwrap();
    g.connect(pan, g.destination()).unwrap();
    let out = g.render_frames(128);
    let angle = 0.75 * std::f32::consts::FRAC_PI_2;
    assert!((out[0][10] - angle.cos()).abs() < 1e-6);
    assert!((out[1][10] - angle.sin()).abs() < 1e-6);
}

/// A source of one constant value, for exact gain checks.
struct Constant(f32);

impl Processor for Constant {
    fn prepare(&mut self, _config: &EngineConfig) {}
    fn reset(&mut self) {}
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        output.channel_mut(0).fill(self.0);
        output.set_audible(1);
        Status::Normal
    }
}

struct Broken;

impl Processor for Broken {
    fn prepare(&mut self, _config: &EngineConfig) {}
    fn reset(&mut self) {}
    fn process(&mut self, _inputs: &[&AudioBuf], _outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        Status::Error("this node always fails")
    }
}

/// Builds osc → filter → gain → destination and renders a little.
fn playing_graph() -> (OfflineRenderer, [NodeId; 3]) {
    let mut g = OfflineRenderer::with_config(EngineConfig { max_nodes: 6, max_edges: 6, ..EngineConfig::new(SR) });
    let osc = sine(&mut g, 440.0);
    g.choose(osc, "type", "sawtooth").unwrap();
    let filter = g.add("biquad").unwrap();
    let gain = g.add("gain").unwrap();
    g.connect(osc, filter).unwrap();
    g.connect(filter, gain).unwrap();
    g.connect(gain, g.destination()).unwrap();
    g.render_frames(256);
    (g, [osc, filter, gain])
}

#[test]
fn bad_requests_are_refused_and_the_engine_keeps_playing() {
    let (mut reference, _) = playing_graph();
    let (mut g, [osc, filter, gain]) = playing_graph();
    let expected = reference.render_frames(4096);

    let refusals = [
        (g.connect(gain, osc).unwrap_err(), ErrorCode::BadPort),
        (g.connect(gain, filter).unwrap_err(), ErrorCode::Cycle),
        (g.set(filter, "frequency", f32::NAN).unwrap_err(), ErrorCode::NonFinite),
        (g.set(filter, "Q", f32::INFINITY).unwrap_err(), ErrorCode::NonFinite),
        (g.set(filter, "cutoff", 1.0).unwrap_err(), ErrorCode::BadParam),
        (g.start(osc, 1.0).unwrap_err(), ErrorCode::BadSetting),
        (g.choose(gain, "type", "sine").unwrap_err(), ErrorCode::BadSetting),
        (g.stop(osc, f64::NAN).unwrap_err(), ErrorCode::OutOfRange),
        (
            g.automate(gain, "gain", AutomationEvent::LinearRampToValueAtTime { value: 1.0, time: -1.0 }).unwrap_err(),
            ErrorCode::OutOfRange,
        ),
        (g.remove(g.destination()).unwrap_err(), ErrorCode::Protected),
        (g.disconnect(osc, gain).unwrap_err(), ErrorCode::NotConnected),
    ];
    for (err, code) in &refusals {
        assert_eq!(err.code, *code, "{err}");
        assert!(!err.message.is_empty());
    }
    // Fill capacity (6 nodes: destination, input, 3 here, one more), then go past it.
    let extra = g.add("gain").unwrap();
    assert_eq!(g.add("gain").unwrap_err().code, ErrorCode::NodeCapacity);
    g.remove(extra).unwrap();
    assert_eq!(g.remove(extra).unwrap_err().code, ErrorCode::StaleNode);
    assert_eq!(g.set(extra, "gain", 1.0).unwrap_err().code, ErrorCode::StaleNode);
    // Re-using the freed slot gives a new generation; the old id still finds nothing.
    let reused = g.add("gain").unwrap();
    assert_eq!(reused.index, extra.index);
    assert_eq!(g.connect(extra, gain).unwrap_err().code, ErrorCode::StaleNode);
    g.remove(reused).unwrap();

    let got = g.render_frames(4096);
    assert_eq!(got, expected, "refused requests changed nothing audible");
    assert_eq!(g.engine().error_count(), 0, "nothing refused reached the render side");
}

#[test]
fn connection_capacity_is_an_error_not_a_reallocation() {
    let mut g = OfflineRenderer::with_config(EngineConfig { max_nodes: 8, max_edges: 2, ..EngineConfig::new(SR) });
    let a = g.add("gain").unwrap();
    let b = g.add("gain").unwrap();
    let c = g.add("gain").unwrap();
    g.connect(a, b).unwrap();
    g.connect(b, c).unwrap();
    assert_eq!(g.connect(c, g.destination()).unwrap_err().code, ErrorCode::EdgeCapacity);
    assert_eq!(g.controller().edge_count(), 2);
}

#[test]
fn a_failing_node_is_silenced_and_reported_while_the_rest_plays() {
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 440.0);
    let broken = g.add_custom(0, 1, Box::new(Broken)).unwrap();
    g.connect(osc, g.destination()).unwrap();
    g.connect(broken, g.destination()).unwrap();
    let out = g.render_frames(1024).remove(0);
    assert!(out.iter().any(|v| v.abs() > 0.9), "the oscillator still plays");
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert_eq!(errors.len(), 1, "reported once, not every quantum");
    assert_eq!(errors[0].code, ErrorCode::NodeFailed);
    assert_eq!(errors[0].node, Some(broken));
    assert_eq!(errors[0].what, "this node always fails");
}

#[test]
fn corrupt_batches_are_decode_errors() {
    for bytes in [&[0xffu8, 0xff, 0xff][..], &[1, 9, 9, 9, 9][..], &[][..]] {
        match decode_batch(bytes) {
            Ok(batch) => assert!(batch.is_empty(), "only the empty batch may decode: {bytes:?}"),
            Err(e) => assert_eq!(e.code, ErrorCode::Decode),
        }
    }
}

#[test]
fn removing_a_playing_node_silences_it_and_retires_it() {
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 440.0);
    g.connect(osc, g.destination()).unwrap();
    assert!(g.render_frames(512)[0].iter().any(|v| v.abs() > 0.5));
    g.remove(osc).unwrap();
    let after = g.render_frames(512).remove(0);
    // While it plays, a removal first fades the node out over one quantum, then takes it away.
    assert!(after[..128].iter().enumerate().all(|(i, v)| v.abs() <= 1.0 - i as f32 / 128.0 + 1e-6), "fades out");
    assert!(after[128..].iter().all(|&v| v == 0.0));
    assert_eq!(g.engine().node_count(), 2, "only destination and input remain");
}

#[test]
fn filter_glide_changes_without_a_click() {
    // Moving the cutoff on a running filter: no sample-to-sample jump larger than the
    // signal itself makes on its own.
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 200.0);
    let filter = g.add("biquad").unwrap();
    g.set(filter, "frequency", 5000.0).unwrap();
    g.connect(osc, filter).unwrap();
    g.connect(filter, g.destination()).unwrap();
    let mut out = g.render_frames(4096).remove(0);
    g.set(filter, "frequency", 150.0).unwrap();
    g.set(filter, "Q", 10.0).unwrap();
    out.extend(g.render_frames(4096).remove(0));
    let max_step = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    let sine_step = (std::f32::consts::TAU * 200.0 / SR) * 1.1;
    assert!(max_step < sine_step * 4.0, "largest step {max_step}");
}

#[test]
fn forged_numbers_reaching_the_render_side_are_refused_there_too() {
    // The worklet applies whatever bytes reach its port, so the render side checks numbers
    // again: a NaN that skipped the controller must not reach the audio.
    use quaver::graph::Command;
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 440.0);
    let gain = g.add("gain").unwrap();
    g.connect(osc, gain).unwrap();
    g.connect(gain, g.destination()).unwrap();
    let reference = g.render_frames(1024);
    let forged: Vec<WireCommand> = vec![
        Command::SetValue { id: gain, param: 0, value: f32::NAN },
        Command::SetValue { id: osc, param: 0, value: f32::INFINITY },
        Command::Automate { id: gain, param: 0, event: AutomationEvent::SetValueAtTime { value: 0.5, time: f64::NAN } },
        Command::Automate {
            id: gain,
            param: 0,
            event: AutomationEvent::LinearRampToValueAtTime { value: f32::NAN, time: 0.1 },
        },
        Command::Configure { id: osc, setting: 2, value: SettingValue::Time(f64::NAN) },
    ];
    let count = forged.len();
    let config = *g.engine().config();
    let built = forged.into_iter().map(|c| quaver::node::build_command(&config, c).unwrap());
    g.engine_mut().enqueue(77, built);
    let out = g.render_frames(2048);
    assert!(out.iter().flatten().all(|v| v.is_finite()));
    assert!(out[0].iter().any(|v| v.abs() > 0.9), "still playing");
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert_eq!(errors.len(), count, "{errors:?}");
    assert!(errors.iter().all(|e| e.batch == Some(77)));
    assert!(errors.iter().all(|e| matches!(e.code, ErrorCode::NonFinite | ErrorCode::OutOfRange)), "{errors:?}");
    assert!(reference[0].iter().any(|v| v.abs() > 0.9));
}

#[test]
fn forged_removals_of_the_engines_own_nodes_are_refused_on_the_render_side() {
    use quaver::graph::Command;
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 440.0);
    g.connect(osc, g.destination()).unwrap();
    let input = g.input();
    g.connect(input, g.destination()).unwrap();
    g.render_frames(256);
    let forged: Vec<WireCommand> = vec![Command::RemoveNode { id: g.destination() }, Command::RemoveNode { id: input }];
    let config = *g.engine().config();
    let built = forged.into_iter().map(|c| quaver::node::build_command(&config, c).unwrap());
    g.engine_mut().enqueue(78, built);
    let out = g.render_frames(1024);
    assert!(out[0].iter().any(|v| v.abs() > 0.9), "still playing");
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.batch == Some(78) && e.code == ErrorCode::Protected), "{errors:?}");
    assert_eq!(g.engine().node_count(), 3, "the destination, the input and the oscillator");
}

#[test]
fn meters_report_peak_and_rms_of_a_node_output_only_while_on() {
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 1000.0);
    let gain = g.add("gain").unwrap();
    g.set(gain, "gain", 0.5).unwrap();
    g.connect(osc, gain).unwrap();
    g.connect(gain, g.destination()).unwrap();
    g.controller_mut().meter(gain, true).unwrap();
    g.render_frames(48_000);
    let mut readings = Vec::new();
    g.engine_mut().take_meters(|m| readings.push(*m));
    assert_eq!(readings.len(), 1);
    let r = readings[0];
    assert_eq!(r.node, Some(gain));
    assert!((r.peak[0] - 0.5).abs() < 1e-3, "peak {}", r.peak[0]);
    assert!((r.rms()[0] - 0.5 / 2f32.sqrt()).abs() < 1e-3, "rms {}", r.rms()[0]);
    g.controller_mut().meter(gain, false).unwrap();
    g.render_frames(128);
    let mut count = 0;
    g.engine_mut().take_meters(|_| count += 1);
    assert_eq!(count, 0, "off means nothing is measured");
    g.controller_mut().meter(gain, true).unwrap();
    g.remove(gain).unwrap();
    g.render_frames(128);
    g.engine_mut().take_meters(|_| count += 1);
    assert_eq!(count, 0, "a removed node's meter goes with it");
    let err = g.controller_mut().meter(gain, true).unwrap_err();
    assert_eq!(err.code, ErrorCode::StaleNode);
}

/// Outputs NaN from its 100th frame on.
struct GoesBad;

impl Processor for GoesBad {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        for (i, v) in output.channel_mut(0).iter_mut().enumerate() {
            *v = if cx.frame + i as u64 >= 100 { f32::NAN } else { 0.5 };
        }
        output.set_audible(1);
        Status::Normal
    }
}

#[test]
fn nan_samples_are_silenced_where_they_appear_and_reported_once() {
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 440.0);
    let bad = g.add_custom(0, 1, Box::new(GoesBad)).unwrap();
    let filter = g.add("biquad").unwrap();
    g.connect(bad, filter).unwrap();
    g.connect(osc, g.destination()).unwrap();
    g.connect(filter, g.destination()).unwrap();
    let out = g.render_frames(4096);
    assert!(out.iter().flatten().all(|v| v.is_finite()), "no NaN reaches the output or the filter's memory");
    assert!(out[0][1000..].iter().any(|v| v.abs() > 0.9), "the oscillator plays on");
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].code, errors[0].node), (ErrorCode::BadSamples, Some(bad)));
    // Outside audio with a NaN in it is silenced at the input node.
    let input = g.input();
    g.connect(input, g.destination()).unwrap();
    g.render_quantum().unwrap();
    let ext = g.engine_mut().external_input_mut();
    ext.channel_mut(0).fill(f32::INFINITY);
    ext.set_audible(1);
    let frame = g.engine().frame();
    g.engine_mut().render(frame);
    assert!(g.engine().output().channel(0).iter().all(|v| v.is_finite()));
}

/// One NaN at frame 5 of every quantum, where the engine's sampled screen does not look.
struct OneBadSample;

impl Processor for OneBadSample {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        output.channel_mut(0).fill(0.25);
        output.channel_mut(0)[5] = f32::NAN;
        output.set_audible(1);
        Status::Normal
    }
}

#[test]
fn a_nan_the_sampled_screen_misses_is_caught_whole_at_the_destination_and_reported_once() {
    let mut g = OfflineRenderer::new(SR);
    let bad = g.add_custom(0, 1, Box::new(OneBadSample)).unwrap();
    g.connect(bad, g.destination()).unwrap();
    let out = g.render_frames(1024);
    assert!(out.iter().flatten().all(|v| *v == 0.0), "the quantum with a NaN in it is silenced whole");
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert_eq!(errors.len(), 1, "reported once: {errors:?}");
    assert_eq!((errors[0].code, errors[0].node), (ErrorCode::BadSamples, Some(g.destination())));
    // Clean audio after it goes through untouched, to the bit.
    g.remove(bad).unwrap();
    let input = g.input();
    g.connect(input, g.destination()).unwrap();
    g.render_quantum().unwrap();
    let ext = g.engine_mut().external_input_mut();
    for (i, v) in ext.channel_mut(0).iter_mut().enumerate() {
        *v = i as f32 / 256.0 - 0.25;
    }
    ext.set_audible(1);
    let frame = g.engine().frame();
    g.engine_mut().render(frame);
    let played: Vec<f32> = g.engine().output().channel(1).to_vec();
    assert_eq!(played, (0..128).map(|i| i as f32 / 256.0 - 0.25).collect::<Vec<_>>(), "mono input on both sides");
}

#[test]
fn sources_end_once_and_then_cost_nothing() {
    let mut g = OfflineRenderer::new(SR);
    let osc = sine(&mut g, 440.0);
    g.stop(osc, 300.0 / f64::from(SR)).unwrap();
    let player = g.add("buffer-source").unwrap();
    g.configure(player, "buffer", SettingValue::Samples { sample_rate: SR, channels: vec![vec![0.25; 700]] }).unwrap();
    g.start(player, 0.0).unwrap();
    let looped = g.add("buffer-source").unwrap();
    g.configure(looped, "buffer", SettingValue::Samples { sample_rate: SR, channels: vec![vec![0.1; 100]] }).unwrap();
    g.configure(looped, "loop", SettingValue::Flag(true)).unwrap();
    g.start(looped, 0.0).unwrap();
    for id in [osc, player, looped] {
        g.connect(id, g.destination()).unwrap();
    }
    g.render_frames(256);
    assert_eq!(g.engine().ended_since(0).count(), 0, "nothing has ended in the first two quanta");
    g.render_frames(128);
    assert_eq!(g.engine().ended_since(0).collect::<Vec<_>>(), [osc], "the oscillator stops in the third quantum");
    let out = g.render_frames(2048).remove(0);
    assert_eq!(
        g.engine().ended_since(0).collect::<Vec<_>>(),
        [osc, player],
        "the buffer plays out; the loop never ends"
    );
    assert!(out[1000..].iter().all(|&v| (v - 0.1).abs() < 1e-6), "only the loop is left");
}

/// Eleven tracks of noise, each through its own biquad (different types and corners), mixed.
const TRACKS: u32 = 11;

fn tracks(metered: bool) -> (OfflineRenderer, Vec<Vec<f32>>) {
    let mut g = OfflineRenderer::new(SR);
    let bus = g.add("gain").unwrap();
    g.connect(bus, g.destination()).unwrap();
    for track in 0..TRACKS {
        let noise = g.add("noise").unwrap();
        g.choose(noise, "type", ["white", "pink", "brown"][track as usize % 3]).unwrap();
        g.start(noise, f64::from(track) * 0.0013).unwrap();
        let filter = g.add("biquad").unwrap();
        g.choose(filter, "type", ["lowpass", "highpass", "bandpass", "peaking"][track as usize % 4]).unwrap();
        g.set(filter, "frequency", 200.0 + 700.0 * track as f32).unwrap();
        g.set(filter, "Q", 0.5 + track as f32).unwrap();
        g.set(filter, "gain", 6.0).unwrap();
        g.connect(noise, filter).unwrap();
        g.connect(filter, bus).unwrap();
        if metered {
            g.controller_mut().meter(filter, true).unwrap();
        }
    }
    let out = g.render_frames(48_000);
    (g, out)
}

#[test]
fn independent_biquads_run_several_at_once_with_the_same_output_bit_for_bit() {
    let (grouped, out) = tracks(false);
    let groups: Vec<_> =
        grouped.engine().schedule().steps().iter().filter(|s| s.group > 1).map(|s| (s.group, s.chained)).collect();
    let size = quaver::simd::SIDE_GROUP;
    let rest = TRACKS as usize - size;
    assert_eq!(
        groups,
        vec![(size as u8, false), (rest as u8, false)],
        "eleven filters side by side: {size}, then {rest}"
    );
    // A meter keeps a node out of a group: the same graph, every filter on its own.
    let (_, alone) = tracks(true);
    assert_eq!(out, alone, "grouping changes nothing in the output");
    assert!(out[0].iter().any(|v| v.abs() > 0.01));
}

/// Noise through sixteen biquads in series.
fn chain(metered: bool) -> (OfflineRenderer, Vec<Vec<f32>>) {
    let mut g = OfflineRenderer::new(SR);
    let noise = g.add("noise").unwrap();
    g.start(noise, 0.0).unwrap();
    let mut from = noise;
    for stage in 0..16u32 {
        let filter = g.add("biquad").unwrap();
        g.choose(filter, "type", ["lowpass", "peaking", "highpass", "allpass"][stage as usize % 4]).unwrap();
        g.set(filter, "frequency", 300.0 + 450.0 * stage as f32).unwrap();
        g.set(filter, "gain", 3.0).unwrap();
        g.connect(from, filter).unwrap();
        if metered {
            g.controller_mut().meter(filter, true).unwrap();
        }
        from = filter;
    }
    g.connect(from, g.destination()).unwrap();
    let out = g.render_frames(48_000);
    (g, out)
}

#[test]
fn a_chain_of_biquads_runs_several_stages_at_once_with_the_same_output_bit_for_bit() {
    let (grouped, out) = chain(false);
    let groups: Vec<_> =
        grouped.engine().schedule().steps().iter().filter(|s| s.group > 1).map(|s| (s.group, s.chained)).collect();
    let size = quaver::simd::CHAIN_GROUP;
    assert_eq!(groups, vec![(size as u8, true); 16 / size], "sixteen stages in chained groups of {size}");
    let (_, alone) = chain(true);
    assert_eq!(out, alone, "running stages several at once changes nothing in the output");
    assert!(out[0].iter().any(|v| v.abs() > 0.001));
}
