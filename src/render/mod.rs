//! Render thread: the engine loop, node arena, parameters and buffers.
//! Nothing reachable from [`Engine::render`] allocates, locks or panics on bad input.

mod arena;
mod buffer;
mod engine;
mod params;
mod schedule;

pub use arena::Arena;
pub use buffer::{AudioBuf, SILENCE};
pub use engine::{Engine, ErrorEntry, RenderCommand};
pub use params::{Param, ParamValues, GLIDE_SECONDS};
pub use schedule::{Feed, Schedule, Step, OUTPUT_BUFFER};
