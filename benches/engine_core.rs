//! N1 (BENCHMARKS.md): Quaver's render core beside `aetherdsp-core` 0.1.6 on aether's own
//! three benchmark shapes (its `benches/rt_bench.rs`), reported as aether ÷ Quaver.
//!
//! Criterion benches each pair in one group; then an interleaved ABAB run measures the
//! same pairs again and writes the ratios to `bench-results/n1.json`, because on a shared,
//! noisy machine only a ratio of two things timed side by side means anything.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;

use quaver::graph::{Bound, EngineConfig, ParamSpec};
use quaver::offline::OfflineRenderer;
use quaver::render::{AudioBuf, ProcessContext, Processor, Status};

const SAMPLE_RATE: f32 = 48_000.0;
const CHAIN: usize = 1000;
const AETHER_BLOCK: usize = aether_core::BUFFER_SIZE;
const QUAVER_QUANTUM: usize = quaver::QUANTUM;

// ── (a) smoothed-parameter fill of a 64-sample block ─────────────────────────

struct AetherParamFill {
    param: aether_core::param::Param,
    buf: [f32; AETHER_BLOCK],
}

impl AetherParamFill {
    fn new() -> Self {
        let mut param = aether_core::param::Param::new(440.0);
        param.set_target(880.0, 4410);
        Self { param, buf: [0.0; AETHER_BLOCK] }
    }

    #[inline]
    fn run(&mut self) {
        self.param.fill_buffer(black_box(&mut self.buf));
    }
}

struct QuaverParamFill {
    param: quaver::render::Param,
    buf: [f32; 64],
}

impl QuaverParamFill {
    fn new() -> Self {
        // Full f32 range, as aether's Param does not clamp at all.
        let spec = ParamSpec::new("x", 440.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX));
        let mut param = quaver::render::Param::new(&spec, &EngineConfig::new(SAMPLE_RATE));
        param.glide_to(880.0, 4410);
        Self { param, buf: [0.0; 64] }
    }

    #[inline]
    fn run(&mut self) {
        // black_box the array reference itself, as aether's call does: boxing the coerced
        // slice instead would hide the length from the compiler on Quaver's side only.
        let buf: &mut [f32; 64] = black_box(&mut self.buf);
        self.param.fill_from(buf, 0.0, 1.0 / f64::from(SAMPLE_RATE));
    }
}

// ── (b) 1000 arena inserts then removes, arena built inside the timed work ───

#[inline]
fn aether_arena_cycle() -> usize {
    let mut arena: aether_core::arena::Arena<u64> = aether_core::arena::Arena::with_capacity(black_box(2048));
    let ids: Vec<_> = (0..1000).map(|i| arena.insert(i).unwrap()).collect();
    for id in ids {
        arena.remove(id);
    }
    arena.len()
}

#[inline]
fn quaver_arena_cycle() -> usize {
    let mut arena: quaver::graph::Arena<u64> = quaver::graph::Arena::with_capacity(black_box(2048));
    let ids: Vec<_> = (0..1000).map(|i| arena.insert(i).unwrap()).collect();
    for id in ids {
        arena.remove(id);
    }
    arena.len()
}

// ── (c) a chain of 1000 no-op nodes, one block / quantum per iteration ───────

/// Calls counted by the equal-work check. Only the `COUNT = true` nodes touch them, and those
/// are never timed: an atomic in the timed nodes would cost about as much as the nodes.
static AETHER_CALLS: AtomicUsize = AtomicUsize::new(0);
static QUAVER_CALLS: AtomicUsize = AtomicUsize::new(0);

/// aether's NoopNode from rt_bench.rs (with `COUNT`, it also counts its calls).
struct AetherNoop<const COUNT: bool>;

impl<const COUNT: bool> aether_core::node::DspNode for AetherNoop<COUNT> {
    fn process(
        &mut self,
        _inputs: &[Option<&[f32; AETHER_BLOCK]>; aether_core::MAX_INPUTS],
        output: &mut [f32; AETHER_BLOCK],
        _params: &mut aether_core::param::ParamBlock,
        _sr: f32,
    ) {
        if COUNT {
            AETHER_CALLS.fetch_add(1, Ordering::Relaxed);
        }
        output.fill(0.0);
    }

    fn type_name(&self) -> &'static str {
        "Noop"
    }
}

/// The same no-op as a Quaver processor.
struct QuaverNoop<const COUNT: bool>;

impl<const COUNT: bool> Processor for QuaverNoop<COUNT> {
    fn prepare(&mut self, _config: &EngineConfig) {}

    fn reset(&mut self) {}

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        if COUNT {
            QUAVER_CALLS.fetch_add(1, Ordering::Relaxed);
        }
        output.channel_mut(0).fill(0.0);
        output.set_audible(1);
        Status::Normal
    }
}

struct AetherChain {
    sched: aether_core::scheduler::Scheduler,
    output: [f32; AETHER_BLOCK * 2],
}

impl AetherChain {
    /// Built exactly as rt_bench.rs builds `noop_nodes/1000`.
    fn new(make: impl Fn() -> Box<dyn aether_core::node::DspNode>) -> Self {
        let mut sched = aether_core::scheduler::Scheduler::new(SAMPLE_RATE);
        let mut prev: Option<aether_core::arena::NodeId> = None;
        for _ in 0..CHAIN {
            let id = sched.graph.add_node(make()).unwrap();
            if let Some(p) = prev {
                assert!(sched.graph.connect(p, id, 0));
            }
            prev = Some(id);
        }
        sched.graph.set_output_node(prev.unwrap());
        Self { sched, output: [1.0; AETHER_BLOCK * 2] }
    }

    /// rt_bench.rs calls `process_block` with an empty ringbuf consumer; `ringbuf` is not
    /// a dependency of this crate, so this calls `process_block_simple`, the same block
    /// without the one empty-queue pop (which only flatters aether).
    #[inline]
    fn run(&mut self) {
        self.sched.process_block_simple(black_box(&mut self.output));
    }
}

struct QuaverChain {
    renderer: OfflineRenderer,
}

impl QuaverChain {
    fn new(make: impl Fn() -> Box<dyn Processor>) -> Self {
        let config = EngineConfig { max_nodes: 1100, max_edges: 1100, ..EngineConfig::new(SAMPLE_RATE) };
        let mut renderer = OfflineRenderer::with_config(config);
        let mut prev = None;
        for _ in 0..CHAIN {
            let id = renderer.add_custom(1, 1, make()).unwrap();
            if let Some(p) = prev {
                renderer.connect(p, id).unwrap();
            }
            prev = Some(id);
        }
        let destination = renderer.destination();
        renderer.connect(prev.unwrap(), destination).unwrap();
        // Applies the queued commands so the timed renders are pure quanta.
        renderer.render_quantum().unwrap();
        Self { renderer }
    }

    #[inline]
    fn run(&mut self) {
        let engine = black_box(self.renderer.engine_mut());
        let frame = engine.frame();
        engine.render(frame);
    }
}

/// Both sides must have done the same work: same values, empty arenas, every node run
/// once per block and a silent (not failed) output.
fn check_equal_work() {
    let (mut a, mut q) = (AetherParamFill::new(), QuaverParamFill::new());
    a.run();
    q.run();
    assert!((a.buf[63] - q.buf[63]).abs() < 0.2 && a.buf[63] > 440.0, "both glides move the same way");
    for _ in 0..200 {
        a.run();
        q.run();
    }
    assert!(a.buf.iter().chain(q.buf.iter()).all(|&v| v == 880.0), "both glides end at 880");

    assert_eq!(aether_arena_cycle(), 0, "aether's arena ends empty");
    assert_eq!(quaver_arena_cycle(), 0, "Quaver's arena ends empty");

    let mut ac = AetherChain::new(|| Box::new(AetherNoop::<true>));
    let mut qc = QuaverChain::new(|| Box::new(QuaverNoop::<true>));
    assert_eq!(qc.renderer.engine().node_count(), CHAIN + 2, "1000 nodes plus destination and input");
    AETHER_CALLS.store(0, Ordering::Relaxed);
    QUAVER_CALLS.store(0, Ordering::Relaxed);
    ac.run();
    qc.run();
    assert_eq!(AETHER_CALLS.load(Ordering::Relaxed), CHAIN, "aether runs every node once per block");
    assert_eq!(QUAVER_CALLS.load(Ordering::Relaxed), CHAIN, "Quaver runs every node once per quantum");

    let mut ac = AetherChain::new(|| Box::new(AetherNoop::<false>));
    let mut qc = QuaverChain::new(|| Box::new(QuaverNoop::<false>));
    ac.run();
    qc.run();
    assert!(ac.output.iter().all(|&v| v == 0.0), "aether's output is written and silent");
    let out = qc.renderer.engine().output();
    assert!(!out.is_silent(), "the chain reaches Quaver's destination as audible");
    assert!((0..2).all(|ch| out.channel(ch).iter().all(|&v| v == 0.0)), "Quaver's output is silent");
    assert_eq!(qc.renderer.engine().error_count(), 0, "no Quaver node failed");
}

// ── criterion ────────────────────────────────────────────────────────────────

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(20);
}

fn criterion_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("N1a_param_fill");
    configure(&mut group);
    group.bench_function("aether", |b| {
        let mut s = AetherParamFill::new();
        b.iter(|| s.run());
    });
    group.bench_function("quaver", |b| {
        let mut s = QuaverParamFill::new();
        b.iter(|| s.run());
    });
    group.finish();

    let mut group = c.benchmark_group("N1b_arena_insert_remove_1000");
    configure(&mut group);
    group.bench_function("aether", |b| b.iter(|| black_box(aether_arena_cycle())));
    group.bench_function("quaver", |b| b.iter(|| black_box(quaver_arena_cycle())));
    group.finish();

    let mut group = c.benchmark_group("N1c_chain_1000_noop");
    configure(&mut group);
    group.bench_function("aether_64_frames", |b| {
        let mut s = AetherChain::new(|| Box::new(AetherNoop::<false>));
        b.iter(|| s.run());
    });
    group.bench_function("quaver_128_frames", |b| {
        let mut s = QuaverChain::new(|| Box::new(QuaverNoop::<false>));
        b.iter(|| s.run());
    });
    group.finish();
}

// ── interleaved ABAB ─────────────────────────────────────────────────────────

const WARM_UP_PAIRS: usize = 3;
const MEASURED_PAIRS: usize = 31;
/// Both samples of a pair together take about this long.
const PAIR_TARGET: Duration = Duration::from_millis(20);

fn time_batch(iters: u64, f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

struct Row {
    id: &'static str,
    aether_ns: f64,
    quaver_ns: f64,
    ratio_median: f64,
    target: f64,
    share_meeting: f64,
}

/// Times `aether` and `quaver` alternately, the same number of iterations per sample.
fn abab(id: &'static str, target: f64, mut aether: impl FnMut(), mut quaver: impl FnMut()) -> Row {
    // Batch size: grow until a pair takes long enough to time, then scale to the target.
    let mut iters = 1u64;
    loop {
        let spent = time_batch(iters, &mut aether) + time_batch(iters, &mut quaver);
        if spent >= Duration::from_millis(2) {
            let scale = PAIR_TARGET.as_secs_f64() / spent.as_secs_f64();
            iters = ((iters as f64 * scale).ceil() as u64).max(1);
            break;
        }
        iters *= 2;
    }
    let (mut ratios, mut a_ns, mut q_ns) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..WARM_UP_PAIRS + MEASURED_PAIRS {
        let a = time_batch(iters, &mut aether).as_secs_f64();
        let q = time_batch(iters, &mut quaver).as_secs_f64();
        if pair >= WARM_UP_PAIRS {
            ratios.push(a / q);
            a_ns.push(a * 1e9 / iters as f64);
            q_ns.push(q * 1e9 / iters as f64);
        }
    }
    let share_meeting = ratios.iter().filter(|&&r| r >= target).count() as f64 / ratios.len() as f64;
    Row {
        id,
        aether_ns: median(&mut a_ns),
        quaver_ns: median(&mut q_ns),
        ratio_median: median(&mut ratios),
        target,
        share_meeting,
    }
}

fn run_abab() {
    let rows = {
        let (mut a, mut q) = (AetherParamFill::new(), QuaverParamFill::new());
        let param = abab("N1a", 1.0, || a.run(), || q.run());
        let arena = abab(
            "N1b",
            3.0,
            || {
                black_box(aether_arena_cycle());
            },
            || {
                black_box(quaver_arena_cycle());
            },
        );
        let (mut a, mut q) =
            (AetherChain::new(|| Box::new(AetherNoop::<false>)), QuaverChain::new(|| Box::new(QuaverNoop::<false>)));
        // Equal work: the same 128 frames through the same chain, i.e. two aether blocks
        // against one Quaver quantum. The per-call row beside it is for information.
        let blocks_per_quantum = QUAVER_QUANTUM / AETHER_BLOCK;
        let chain = abab(
            "N1c",
            2.0,
            || {
                for _ in 0..blocks_per_quantum {
                    a.run();
                }
            },
            || q.run(),
        );
        let per_call = abab("N1c-call", 2.0, || a.run(), || q.run());
        [param, arena, chain, per_call]
    };

    println!();
    println!(
        "N1, interleaved ABAB ({WARM_UP_PAIRS} warm-up + {MEASURED_PAIRS} measured pairs, ~{} ms per pair)",
        PAIR_TARGET.as_millis()
    );
    println!();
    println!("| id | shape | aether | Quaver | aether ÷ Quaver (median) | target | pairs meeting | met |");
    println!("|---|---|---|---|---|---|---|---|");
    let shapes = [
        "param fill, 64 samples",
        "arena: new(2048) + 1000 insert + 1000 remove",
        "1000 no-op chain, 128 frames each: 2 aether 64-frame blocks vs 1 Quaver quantum",
        "(information) 1000 no-op chain per call: 1 aether 64-frame block vs 1 Quaver 128-frame quantum",
    ];
    for (row, shape) in rows.iter().zip(shapes) {
        println!(
            "| {} | {} | {} | {} | {:.2}× | ≥ {}× | {:.0}% | {} |",
            row.id,
            shape,
            format_ns(row.aether_ns),
            format_ns(row.quaver_ns),
            row.ratio_median,
            row.target,
            row.share_meeting * 100.0,
            if row.ratio_median >= row.target { "yes" } else { "no" },
        );
    }
    let mut json = String::from("[\n");
    for (i, row) in rows.iter().enumerate() {
        let extra = if row.id == "N1c-call" { ", \"information_only\": true" } else { "" };
        json.push_str(&format!(
            "  {{\"id\": \"{}\", \"aether_ns\": {:.2}, \"quaver_ns\": {:.2}, \"ratio_median\": {:.4}, \"target\": {}, \"share_meeting\": {:.4}{}}}{}\n",
            row.id,
            row.aether_ns,
            row.quaver_ns,
            row.ratio_median,
            row.target,
            row.share_meeting,
            extra,
            if i + 1 < rows.len() { "," } else { "" },
        ));
    }
    json.push_str("]\n");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    std::fs::create_dir_all(&dir).expect("bench-results can be created");
    std::fs::write(dir.join("n1.json"), json).expect("bench-results/n1.json can be written");
    println!("wrote {}", dir.join("n1.json").display());
}

fn format_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn main() {
    check_equal_work();
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion);
    criterion.final_summary();
    // `cargo test --benches` runs this binary without `--bench`: check the work, skip timing.
    if std::env::args().any(|a| a == "--bench") {
        run_abab();
    }
}
