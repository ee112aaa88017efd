//! Boundary: the thread pool of the threads build (`--features threads`, nightly, shared memory):
//! `initThreadPool(n)` starts n Web Workers that rayon runs on, from a dedicated Worker (never the
//! page's main thread, which may not block, nor the worklet). Without the feature the same calls
//! run one item after another, so both builds give the same results.

use wasm_bindgen::prelude::*;
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// `f` of every item, in order: across the pool in the threads build, one by one otherwise.
pub(super) fn par_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        items.into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "threads"))]
    {
        items.into_iter().map(f).collect()
    }
}

/// `f` of every item in place, across the pool in the threads build.
pub(super) fn par_for_each<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync + Send) {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        items.par_iter_mut().for_each(f);
    }
    #[cfg(not(feature = "threads"))]
    {
        items.iter_mut().for_each(f);
    }
}

/// How many threads batch work runs on: the pool's size in the threads build, else 1.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    #[cfg(feature = "threads")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}
