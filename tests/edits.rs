//! Live edits without clicks: inserting, removing, bypassing and reordering effects, and
//! removing a sounding source, while the engine plays. The largest sample-to-sample step across
//! each edit is measured against what the signal does without the edit: a level jump would
//! show as a step of its full size; the engine fades the edited inputs out and back in instead.

use quaver::graph::NodeId;
use quaver::offline::OfflineRenderer;

const SR: f32 = 48_000.0;
/// A step no larger than a full-scale fade over one quantum would make (0.5 / 128).
const FADE_STEP: f32 = 0.5 / 128.0 * 1.01;

fn largest_step(samples: &[f32]) -> f32 {
    samples.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

/// A constant 0.5 into a gain, playing; returns the renderer, the source and the gain.
fn playing() -> (OfflineRenderer, NodeId, NodeId) {
    let mut g = OfflineRenderer::new(SR);
    let dc = g.add("constant-source").unwrap();
    g.set(dc, "offset", 0.5).unwrap();
    g.start(dc, 0.0).unwrap();
    let out = g.add("gain").unwrap();
    g.connect(dc, out).unwrap();
    g.connect(out, g.destination()).unwrap();
    g.render_frames(1024);
    (g, dc, out)
}

#[test]
fn inserting_and_bypassing_an_effect_fades_instead_of_jumping() {
    let (mut g, dc, out) = playing();
    let quiet = g.add("gain").unwrap();
    g.set(quiet, "gain", 0.2).unwrap();
    g.disconnect(dc, out).unwrap();
    g.connect(dc, quiet).unwrap();
    g.connect(quiet, out).unwrap();
    let inserted = g.render_frames(1024).remove(0);
    assert!((inserted[1023] - 0.1).abs() < 1e-6, "the effect is in: {}", inserted[1023]);
    assert!(
        largest_step(&inserted) <= FADE_STEP,
        "insert: largest step {} (a jump would be 0.4)",
        largest_step(&inserted)
    );
    g.disconnect(dc, quiet).unwrap();
    g.disconnect(quiet, out).unwrap();
    g.connect(dc, out).unwrap();
    let bypassed = g.render_frames(1024).remove(0);
    assert!((bypassed[1023] - 0.5).abs() < 1e-6);
    assert!(largest_step(&bypassed) <= FADE_STEP, "bypass: largest step {}", largest_step(&bypassed));
}

#[test]
fn removing_a_sounding_source_or_its_connections_fades_it_out() {
    let (mut g, dc, _) = playing();
    g.remove(dc).unwrap();
    let gone = g.render_frames(512).remove(0);
    assert_eq!(gone[511], 0.0);
    assert!(largest_step(&gone) <= FADE_STEP, "remove: largest step {} (a jump would be 0.5)", largest_step(&gone));
    let (mut g, dc, _) = playing();
    g.controller_mut().disconnect_outputs(dc).unwrap();
    let cut = g.render_frames(512).remove(0);
    assert_eq!(cut[511], 0.0);
    assert!(largest_step(&cut) <= FADE_STEP, "disconnect: largest step {}", largest_step(&cut));
}

#[test]
fn reordering_two_effects_steps_no_more_than_the_signal_does() {
    // A 1 kHz sine through a 1 ms delay and a 0.7 gain; swapping their order changes nothing
    // once settled, but the delay's line restarts from what it holds.
    let mut g = OfflineRenderer::new(SR);
    let osc = g.add("oscillator").unwrap();
    g.set(osc, "frequency", 1000.0).unwrap();
    g.start(osc, 0.0).unwrap();
    let delay = g.add("delay").unwrap();
    g.set(delay, "delayTime", 0.001).unwrap();
    let gain = g.add("gain").unwrap();
    g.set(gain, "gain", 0.7).unwrap();
    for (a, b) in [(osc, delay), (delay, gain)] {
        g.connect(a, b).unwrap();
    }
    g.connect(gain, g.destination()).unwrap();
    let before = g.render_frames(2048).remove(0);
    let natural = largest_step(&before[1024..]);
    g.disconnect(osc, delay).unwrap();
    g.disconnect(delay, gain).unwrap();
    g.disconnect(gain, g.destination()).unwrap();
    for (a, b) in [(osc, gain), (gain, delay)] {
        g.connect(a, b).unwrap();
    }
    g.connect(delay, g.destination()).unwrap();
    let after = g.render_frames(2048).remove(0);
    let step = largest_step(&after);
    assert!(step <= natural * 1.1, "reorder: largest step {step}, the sine's own {natural}");
    let level = after[1024..].iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!((level - 0.7).abs() < 0.01, "plays on at the same level: {level}");
}

#[test]
fn edits_while_silent_are_immediate() {
    // Nothing sounds yet: the first graph applies at once (no quantum of delay), so an
    // impulse arriving in the first quantum comes out on its own frame.
    let mut g = OfflineRenderer::new(SR);
    let dc = g.add("constant-source").unwrap();
    g.start(dc, 0.0).unwrap();
    g.connect(dc, g.destination()).unwrap();
    assert_eq!(g.render_frames(128)[0][0], 1.0);
}
