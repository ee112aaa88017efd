//! Quaver's engine: a modular DSP graph for a browser audio workstation.
//!
//! The crate has three places (see `DESIGN.md` in the shared folder), and what they share:
//! - **graph** ([`graph`]): ids, arena, topology, typed errors, node descriptors, parameter
//!   timelines and the wire format — used by both sides, owned by neither.
//! - **control** ([`control`], [`analysis`], [`offline`]): validation against a mirror of the
//!   graph, ids, spectra; may allocate.
//! - **render** ([`render`], [`node`], [`dsp`], [`simd`]): the quantum loop and one file per node
//!   kind; allocates only when a node is built or a command is queued, never in `render()`.
//! - **boundary** (`bridge`, wasm32 only): the `#[wasm_bindgen]` types used from JS.
//!
//! The same code builds natively, so every graph and DSP test runs with plain `cargo test`.
//!
//! ```
//! use quaver::offline::OfflineRenderer;
//!
//! let mut graph = OfflineRenderer::new(48_000.0);
//! let osc = graph.add("oscillator").unwrap();
//! graph.connect(osc, graph.destination()).unwrap();
//! graph.start(osc, 0.0).unwrap();
//! let left = graph.render_frames(480).remove(0);
//! assert!(left.iter().any(|s| s.abs() > 0.5));
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::dbg_macro, clippy::todo, missing_debug_implementations)]

pub mod analysis;
pub mod control;
pub mod dsp;
pub mod formats;
pub mod graph;
#[cfg(not(target_arch = "wasm32"))]
pub mod library;
pub mod node;
pub mod offline;
pub mod render;
pub mod session;
pub mod simd;

#[cfg(target_arch = "wasm32")]
pub mod bridge;

/// Frames in one render quantum, as in Web Audio.
pub const QUANTUM: usize = 128;
/// Channels an engine buffer can hold (mono and stereo for now).
pub const MAX_CHANNELS: usize = 2;
/// Input ports a node may have.
pub const MAX_INPUTS: usize = 4;
/// Outputs a node may have (a channel splitter has two).
pub const MAX_OUTPUTS: usize = 2;
/// Parameters a node may have.
pub const MAX_PARAMS: usize = 8;
