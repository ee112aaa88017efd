//! The workstation page's voice rendered natively: a sawtooth through an enveloped lowpass,
//! volume and pan, with the cutoff swept by automation. Prints level and brightness per
//! 100 ms, so the effect of each stage can be seen without a browser.
//!
//! `cargo run --release --example offline_voice`

use quaver::dsp::biquad::FilterType;
use quaver::graph::AutomationEvent;
use quaver::offline::OfflineRenderer;

fn main() -> Result<(), quaver::graph::EngineError> {
    let sample_rate = 48_000.0;
    let mut g = OfflineRenderer::new(sample_rate);
    let osc = g.add("oscillator")?;
    let envelope = g.add("gain")?;
    let filter = g.add("biquad")?;
    let volume = g.add("gain")?;
    let pan = g.add("stereo-panner")?;
    for (from, to) in [(osc, envelope), (envelope, filter), (filter, volume), (volume, pan), (pan, g.destination())] {
        g.connect(from, to)?;
    }
    g.choose(osc, "type", "sawtooth")?;
    g.set(osc, "frequency", 110.0)?;
    g.start(osc, 0.0)?;
    g.choose(filter, "type", FilterType::Lowpass.name())?;
    g.set(filter, "Q", 6.0)?;
    g.set(volume, "gain", 0.5)?;
    g.set(pan, "pan", -0.3)?;
    // Note on at 0, note off at 0.7 s; the cutoff opens from 200 Hz to 6 kHz over the note.
    g.automate(envelope, "gain", AutomationEvent::SetValueAtTime { value: 0.0, time: 0.0 })?;
    g.automate(envelope, "gain", AutomationEvent::SetTargetAtTime { target: 1.0, time: 0.0, time_constant: 0.005 })?;
    g.automate(envelope, "gain", AutomationEvent::SetTargetAtTime { target: 0.0, time: 0.7, time_constant: 0.05 })?;
    g.automate(filter, "frequency", AutomationEvent::SetValueAtTime { value: 200.0, time: 0.0 })?;
    g.automate(filter, "frequency", AutomationEvent::ExponentialRampToValueAtTime { value: 6000.0, time: 0.7 })?;

    let [left, right]: [Vec<f32>; 2] = g.render_frames(48_000).try_into().expect("stereo");
    println!("  time   left RMS  right RMS  brightness (mean |Δ| ÷ mean |x|)");
    for (i, (l, r)) in left.chunks(4800).zip(right.chunks(4800)).enumerate() {
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let level: f32 = l.iter().map(|v| v.abs()).sum::<f32>() / l.len() as f32;
        let motion: f32 = l.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f32>() / l.len() as f32;
        let brightness = if level > 1e-6 { motion / level } else { 0.0 };
        println!("{:>5} ms  {:>8.4}  {:>9.4}  {:>10.4}", i * 100, rms(l), rms(r), brightness);
    }
    Ok(())
}
