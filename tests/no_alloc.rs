//! Proves the render path allocates nothing: a counting global allocator watches
//! `Engine::render` while it applies every kind of command and renders every node kind,
//! with automation, glides, summed inputs, silence and a failing node.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use quaver::dsp::biquad::FilterType;
use quaver::graph::{AutomationEvent, Command, Edge, EngineConfig, NewNode, NodeId, SequencedNote, SettingValue};
use quaver::offline::OfflineRenderer;
use quaver::render::{AudioBuf, ProcessContext, Processor, Status};

struct Counting;

thread_local! {
    // Const-initialised and without destructors, so touching them never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static DEALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        DEALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counts() -> (usize, usize) {
    (ALLOCATIONS.with(Cell::get), DEALLOCATIONS.with(Cell::get))
}

/// Renders one quantum and returns how many allocations and frees it made.
fn render_counted(g: &mut OfflineRenderer) -> (usize, usize) {
    g.flush().unwrap();
    let frame = g.engine().frame();
    let before = counts();
    g.engine_mut().render(frame);
    let after = counts();
    g.engine_mut().collect_garbage();
    (after.0 - before.0, after.1 - before.1)
}

struct FailsAfter(u32);

impl Processor for FailsAfter {
    fn prepare(&mut self, _config: &EngineConfig) {}
    fn reset(&mut self) {}
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        if self.0 == 0 {
            return Status::Error("deliberate failure");
        }
        self.0 -= 1;
        output.channel_mut(0).fill(0.25);
        output.set_audible(1);
        Status::Normal
    }
}

#[test]
fn render_and_command_application_never_allocate() {
    let mut g = OfflineRenderer::new(48_000.0);
    let dest = g.destination();
    let osc_a = g.add("oscillator").unwrap();
    let osc_b = g.add("oscillator").unwrap();
    let filter = g.add("biquad").unwrap();
    let gain = g.add("gain").unwrap();
    let pan = g.add("stereo-panner").unwrap();
    let failing = g.add_custom(0, 1, Box::new(FailsAfter(3))).unwrap();
    for (from, to) in [(osc_a, filter), (osc_b, filter), (filter, gain), (gain, pan), (pan, dest), (failing, dest)] {
        g.connect(from, to).unwrap();
    }
    g.connect(g.input(), gain).unwrap();
    g.start(osc_a, 0.0).unwrap();
    g.choose(osc_b, "type", "sawtooth").unwrap();
    g.start(osc_b, 0.001).unwrap();
    // The first quantum applies the whole graph: adds, connects, settings.
    let (allocs, frees) = render_counted(&mut g);
    assert_eq!((allocs, frees), (0, 0), "applying the initial graph");

    let mut worst = (0, 0);
    for quantum in 0..200u32 {
        let t = f64::from(quantum) * 128.0 / 48_000.0;
        match quantum {
            5 => {
                g.set(filter, "frequency", 500.0).unwrap();
                g.set(gain, "gain", 0.5).unwrap();
            }
            10 => {
                g.automate(filter, "Q", AutomationEvent::LinearRampToValueAtTime { value: 12.0, time: t + 0.05 })
                    .unwrap();
                g.automate(pan, "pan", AutomationEvent::SetTargetAtTime { target: -1.0, time: t, time_constant: 0.02 })
                    .unwrap();
                g.automate(gain, "gain", AutomationEvent::ExponentialRampToValueAtTime { value: 0.1, time: t + 0.1 })
                    .unwrap();
            }
            20 => {
                g.choose(filter, "type", FilterType::Peaking.name()).unwrap();
                g.choose(osc_a, "type", "triangle").unwrap();
                g.automate(filter, "Q", AutomationEvent::CancelScheduledValues { time: 0.0 }).unwrap();
            }
            30 => g.disconnect(osc_b, filter).unwrap(),
            40 => g.connect(osc_b, filter).unwrap(),
            50 => g.remove(osc_b).unwrap(),
            60 => g.stop(osc_a, t + 0.01).unwrap(),
            _ => {}
        }
        let (a, f) = render_counted(&mut g);
        worst = (worst.0.max(a), worst.1.max(f));
    }
    assert_eq!(worst, (0, 0), "allocations and frees in any one render() after the first");
    assert!(g.engine().error_count() >= 1, "the failing node was reported");
}

#[test]
fn raw_render_commands_apply_without_allocating() {
    // The same through Engine::enqueue directly, including a node built off the render path.
    let mut g = OfflineRenderer::new(44_100.0);
    let gain = g.add("gain").unwrap();
    g.render_frames(128);
    // Bypassing the controller: the engine's next free slot is the one after the gain.
    let id = NodeId { index: gain.index + 1, generation: 0 };
    let (kind, _) = quaver::node::find("oscillator").unwrap();
    let config = *g.engine().config();
    let wire = [
        Command::AddNode { id, node: NewNode { kind, options: vec![] } },
        Command::Connect(Edge { from: id, output: 0, to: gain, input: 0 }),
        Command::Configure { id, setting: 1, value: SettingValue::Time(0.0) },
        Command::RemoveNode { id },
    ];
    let batch = 99;
    let built: Vec<_> = wire.into_iter().map(|c| quaver::node::build_command(&config, c).unwrap()).collect();
    g.engine_mut().enqueue(batch, built);
    let (allocs, frees) = render_counted(&mut g);
    assert_eq!((allocs, frees), (0, 0));
    assert_eq!(g.engine().applied_batch(), batch);
    assert_eq!(g.engine().error_count(), 0, "every raw command applied cleanly");
}

#[test]
fn every_node_kind_and_every_command_kind_render_without_allocating() {
    let mut g = OfflineRenderer::new(48_000.0);
    let dest = g.destination();
    let samples = |n: usize| SettingValue::Samples {
        sample_rate: 48_000.0,
        channels: vec![(0..n).map(|i| ((i % 97) as f32 / 97.0) - 0.5).collect()],
    };
    let kinds: Vec<&str> = quaver::node::REGISTRY.iter().skip(2).map(|t| t.spec.name).collect();
    let mut nodes = Vec::new();
    for kind in &kinds {
        nodes.push((*kind, g.add(kind).unwrap()));
    }
    let id = |name: &str| nodes.iter().find(|(k, _)| *k == name).unwrap().1;
    // Sources into a mixer; the mixer through every effect in a chain; a feedback loop through
    // the delay; the LFO and envelope modulating parameters.
    let mixer = g.add("gain").unwrap();
    for source in ["oscillator", "constant-source", "noise", "buffer-source"] {
        g.connect(id(source), mixer).unwrap();
        g.start(id(source), 0.0).unwrap();
    }
    g.configure(id("buffer-source"), "buffer", samples(5000)).unwrap();
    // The synth plays a sequence on a looping song timeline.
    g.connect(id("synth"), mixer).unwrap();
    g.connect(id("drums"), mixer).unwrap();
    g.connect(id("sampler"), mixer).unwrap();
    g.configure(id("sampler"), "buffer", samples(3000)).unwrap();
    let notes = |n: u64| {
        SettingValue::Sequence(
            (0..n)
                .map(|i| SequencedNote { start: i * 700, length: 900, key: 40 + (i % 40) as u8, velocity: 90 })
                .collect(),
        )
    };
    g.configure(id("synth"), "sequence", notes(40)).unwrap();
    let transport =
        |at: u64| SettingValue::Transport { at, playing: true, position: 0, loop_start: 0, loop_end: 20_000 };
    g.configure(id("synth"), "transport", transport(300)).unwrap();
    g.configure(id("drums"), "sequence", notes(40)).unwrap();
    g.configure(id("drums"), "transport", transport(300)).unwrap();
    g.configure(id("sampler"), "sequence", notes(40)).unwrap();
    g.configure(id("sampler"), "transport", transport(300)).unwrap();
    g.configure(id("buffer-source"), "loop", SettingValue::Flag(true)).unwrap();
    g.configure(id("waveshaper"), "curve", SettingValue::Curve(vec![-1.0, 0.0, 1.0])).unwrap();
    g.choose(id("waveshaper"), "oversample", "4x").unwrap();
    g.configure(id("convolver"), "buffer", samples(3000)).unwrap();
    g.configure(
        id("oscillator"),
        "periodicWave",
        SettingValue::Wave { real: vec![0.0, 0.0, 0.5], imag: vec![0.0, 1.0, 0.0], normalize: true },
    )
    .unwrap();
    let chain = [
        "biquad",
        "delay",
        "waveshaper",
        "convolver",
        "compressor",
        "reverb",
        "limiter",
        "analyser",
        "stereo-panner",
        "channel-splitter",
    ];
    let mut from = mixer;
    for effect in chain {
        g.connect(from, id(effect)).unwrap();
        from = id(effect);
    }
    g.controller_mut().connect(Edge { from, output: 1, to: id("channel-merger"), input: 1 }).unwrap();
    g.connect(from, id("channel-merger")).unwrap();
    g.connect(id("channel-merger"), id("gain")).unwrap();
    g.connect(id("gain"), dest).unwrap();
    let feedback = g.add("gain").unwrap();
    g.set(feedback, "gain", 0.3).unwrap();
    g.connect(id("delay"), feedback).unwrap();
    g.connect(feedback, id("delay")).unwrap();
    g.connect_param(id("lfo"), id("biquad"), "frequency").unwrap();
    g.set(id("lfo"), "depth", 200.0).unwrap();
    g.connect_param(id("envelope"), mixer, "gain").unwrap();
    g.automate(id("envelope"), "gate", AutomationEvent::SetValueAtTime { value: 1.0, time: 0.0 }).unwrap();
    g.controller_mut().meter(id("gain"), true).unwrap();
    assert_eq!(render_counted(&mut g), (0, 0), "applying the whole graph");

    let mut worst = (0, 0);
    for quantum in 0..120u32 {
        let t = f64::from(quantum) * 128.0 / 48_000.0;
        match quantum {
            5 => {
                let curve =
                    AutomationEvent::SetValueCurveAtTime { values: vec![0.5, 1.0, 0.2, 0.7], time: t, duration: 0.05 };
                g.automate(id("gain"), "gain", curve).unwrap();
                g.automate(
                    id("delay"),
                    "delayTime",
                    AutomationEvent::LinearRampToValueAtTime { value: 0.2, time: t + 0.1 },
                )
                .unwrap();
            }
            8 => g.automate(id("gain"), "gain", AutomationEvent::CancelAndHoldAtTime { time: t + 0.01 }).unwrap(),
            10 => {
                // Replacements: the old data must go to the retire lists, not be freed here.
                g.configure(id("waveshaper"), "curve", SettingValue::Curve(vec![0.0, 1.0])).unwrap();
                g.configure(id("buffer-source"), "buffer", samples(800)).unwrap();
                g.configure(id("synth"), "sequence", notes(25)).unwrap();
                g.configure(id("synth"), "note", SettingValue::Note { key: 60, velocity: 100 }).unwrap();
                g.configure(id("drums"), "sequence", notes(25)).unwrap();
                g.configure(id("drums"), "note", SettingValue::Note { key: 42, velocity: 100 }).unwrap();
                g.configure(id("sampler"), "sequence", notes(25)).unwrap();
                g.configure(id("sampler"), "buffer", samples(900)).unwrap();
                g.configure(id("sampler"), "note", SettingValue::Note { key: 64, velocity: 100 }).unwrap();
                g.configure(id("convolver"), "buffer", samples(1000)).unwrap();
                g.configure(
                    id("oscillator"),
                    "periodicWave",
                    SettingValue::Wave { real: vec![0.0, 1.0], imag: vec![0.0, 0.0], normalize: false },
                )
                .unwrap();
                g.automate(id("gain"), "gain", AutomationEvent::CancelScheduledValues { time: 0.0 }).unwrap();
            }
            15 => g.controller_mut().meter(id("gain"), false).unwrap(),
            18 => {
                g.configure(id("synth"), "transport", transport(u64::from(quantum) * 128 + 77)).unwrap();
                g.configure(id("drums"), "transport", transport(u64::from(quantum) * 128 + 77)).unwrap();
            }
            20 => g.automate(id("envelope"), "gate", AutomationEvent::SetValueAtTime { value: 0.0, time: t }).unwrap(),
            30 => {
                g.remove(id("reverb")).unwrap();
                g.remove(id("lfo")).unwrap();
            }
            _ => {}
        }
        let (a, f) = render_counted(&mut g);
        worst = (worst.0.max(a), worst.1.max(f));
        let _ = g.engine_mut().capture(id("analyser"), 2048);
    }
    assert_eq!(worst, (0, 0), "allocations and frees in any one render() with every node kind");
    assert_eq!(g.engine().errors_since(0).count(), 0, "{:?}", g.engine().errors_since(0).collect::<Vec<_>>());
}
