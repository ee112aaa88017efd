use quaver::offline::OfflineRenderer;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    for pass in [false, true] {
        let mut r = OfflineRenderer::new(48_000.0);
        if pass {
            let (i, d) = (r.input(), r.destination());
            r.connect(i, d).unwrap();
        }
        r.render_quantum().unwrap();
        let n = 5_000_000u64;
        for _ in 0..3 {
            let t = Instant::now();
            for _ in 0..n {
                let e = black_box(r.engine_mut());
                let f = e.frame();
                black_box(e.render(f));
            }
            println!("{} {:.1} ns", if pass { "pass" } else { "empty" }, t.elapsed().as_nanos() as f64 / n as f64);
        }
    }
}
