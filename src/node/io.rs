//! Render thread: the engine's own ends of the graph — the destination that everything
//! audible is mixed into, and the input that brings outside audio in.

use super::{ProcessContext, Processor, Status};
use crate::control::EngineConfig;
use crate::render::AudioBuf;
use crate::MAX_CHANNELS;

/// Mixes everything connected to it (the engine sums the connections) into stereo.
#[derive(Debug, Default)]
pub struct Destination;

impl Processor for Destination {
    fn prepare(&mut self, _config: &EngineConfig) {}

    fn reset(&mut self) {}

    fn process(&mut self, inputs: &[&AudioBuf], output: &mut AudioBuf, _cx: &ProcessContext<'_>) -> Status {
        // Real samples even when silent: JS reads this buffer without looking at the flag.
        output.copy_from(inputs[0], MAX_CHANNELS);
        Status::Normal
    }
}

/// Outputs the audio given to the engine from outside (the worklet's input).
#[derive(Debug, Default)]
pub struct ExternalInput;

impl Processor for ExternalInput {
    fn prepare(&mut self, _config: &EngineConfig) {}

    fn reset(&mut self) {}

    fn process(&mut self, _inputs: &[&AudioBuf], output: &mut AudioBuf, cx: &ProcessContext<'_>) -> Status {
        let input = cx.external_input;
        output.copy_from(input, input.channels());
        Status::Normal
    }
}
