//! Render thread: the engine loop, node arena, parameters and buffers.
//! Nothing reachable from [`Engine::render`] allocates, locks or panics on bad input.

mod arena;
mod buffer;
mod engine;
mod params;

pub use arena::Arena;
pub use buffer::{AudioBuf, SILENCE};
pub use engine::{Engine, ErrorEntry, RenderCommand};
pub use params::{Param, ParamValues, GLIDE_SECONDS};
