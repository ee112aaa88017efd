//! Render thread: the engine loop, parameters, buffers and the schedule. It holds nodes only as
//! `dyn Processor` and never reaches back into the node catalogue or the control side.
//! Nothing reachable from [`Engine::render`] allocates, locks or panics on bad input.

mod buffer;
mod engine;
mod params;
mod processor;
mod schedule;

pub use buffer::{AudioBuf, Handover, SILENCE};
pub use engine::{BuiltNode, Engine, ErrorEntry, MeterReading, RenderCommand, NEWS_ACK, NEWS_ENDED, NEWS_ERRORS};
pub use params::{Param, ParamValues, GLIDE_SECONDS};
pub use processor::{ProcessContext, Processor, Status};
pub use schedule::{port_of, Feed, Phase, Schedule, Step, INPUT_BUFFER, MAX_PORTS, OUTPUT_BUFFER};
