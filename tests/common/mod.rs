//! Shared by the randomised tests: a deterministic generator, so a failure reproduces.
#![allow(dead_code)]

/// xorshift64*: deterministic, so a failure reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    /// Mostly ordinary numbers, sometimes the awkward ones.
    pub fn number(&mut self) -> f32 {
        match self.below(10) {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -1e30,
            3 => 0.0,
            _ => (self.below(40_000) as f32 - 20_000.0) / 7.0,
        }
    }
    pub fn time(&mut self) -> f64 {
        match self.below(8) {
            0 => f64::NAN,
            1 => -1.0,
            _ => self.below(2000) as f64 / 1000.0,
        }
    }
}

fn python() -> std::path::PathBuf {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(path.exists(), "{} is missing: run `bash scripts/setup.sh` (npm test does) to make it", path.display());
    path
}

/// Runs a command of tests/interop/files.py (the independent readers and writers, in `.venv`)
/// and parses the JSON it prints.
pub fn helper(args: &[&str]) -> serde_json::Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/files.py");
    let out = std::process::Command::new(python()).arg(script).args(args).output().expect("python runs");
    assert!(out.status.success(), "files.py {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("files.py prints JSON")
}
