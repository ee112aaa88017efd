//! Render thread: what the engine knows of a node — a `dyn Processor`. Nodes allocate in
//! `prepare`, clear in `reset`, and only touch memory in `process`.

use crate::graph::{EngineConfig, ErrorCode, RenderError, SettingValue};
use crate::render::{AudioBuf, Handover, Param};
use crate::QUANTUM;

/// What a node reports after a quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Normal,
    /// A source has played out (its stop time passed, its buffer ended): the engine reports
    /// `ended` once, and from then on skips the node, which costs nothing more.
    Ended,
    /// The node cannot go on; the engine silences it and reports the reason.
    Error(&'static str),
}

/// Where and when a quantum is rendered.
#[derive(Clone, Copy, Debug)]
pub struct ProcessContext {
    pub sample_rate: f32,
    /// The first frame of this quantum on the context's clock.
    pub frame: u64,
    /// `frame` in seconds.
    pub time: f64,
}

/// A DSP node.
pub trait Processor: Send {
    /// Allocates whatever the node needs at this configuration. Called once, off the render path.
    fn prepare(&mut self, _config: &EngineConfig) {}

    /// Forgets all signal state (filter memory, phase), keeping settings.
    fn reset(&mut self) {}

    /// Renders one quantum into `outputs` (one buffer per output port) from `inputs` (one
    /// buffer per input port).
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status;

    /// The node's parameters, in the order its descriptor lists them.
    fn params(&mut self) -> &mut [Param] {
        &mut []
    }

    /// Off the render path (when the command is queued): turns a setting's value into what
    /// `configure` will take without allocating (a convolver builds its FFT state here).
    fn prepare_setting(&self, _setting: u8, _value: &mut SettingValue) {}

    /// Applies setting number `setting` (as the descriptor lists them). A node that keeps data
    /// from `value` swaps it out, leaving what it replaced for the engine to drop off the
    /// render path.
    fn configure(&mut self, _setting: u8, _value: &mut SettingValue) -> Result<(), RenderError> {
        Err(RenderError::new(ErrorCode::BadSetting, "the node does not take that setting"))
    }

    /// For a node that breaks cycles, when the engine splits it: renders this quantum's output
    /// from what earlier quanta stored, before its inputs have run.
    fn render_split_output(&mut self, output: &mut AudioBuf, _cx: &ProcessContext) -> Status {
        output.set_silent(1);
        Status::Normal
    }

    /// For a split node: takes this quantum's input, after every other node has run.
    fn take_split_input(&mut self, _inputs: &[&AudioBuf], _cx: &ProcessContext) {}

    /// This processor as `Any`, for kinds that run several at a time (their `process_group`
    /// finds its partners through it).
    fn as_any_mut(&mut self) -> Option<&mut dyn core::any::Any> {
        None
    }

    /// Processors with the same key may be rendered together by `process_group` when the
    /// schedule puts them next to each other: up to [`crate::simd::SIDE_GROUP`] side by side
    /// (none feeding another) or [`crate::simd::CHAIN_GROUP`] in series.
    fn group_key(&self) -> Option<u32> {
        None
    }

    /// Whether this node can take part in a group this quantum: its parameters hold still and
    /// nothing else (a fade, say) needs the one-at-a-time path. Asked before anything renders.
    fn groupable(&self) -> bool {
        false
    }

    /// Renders this node (lane 0) and `rest` (lanes 1…) together, each reading its mono input
    /// `inputs[k]` (in series, only `inputs[0]`: each later one reads the one before it) and
    /// writing `outputs[k]`. Called only when every member is `groupable` and the inputs are
    /// audible, so it renders every member's parameters and output; `false` if a member is
    /// not of this kind (nothing was touched).
    fn process_group(
        &mut self,
        _rest: &mut [&mut (dyn Processor + 'static)],
        _inputs: &[&[f32; QUANTUM]],
        _outputs: &mut [&mut AudioBuf],
        _chained: bool,
        _cx: &ProcessContext,
    ) -> bool {
        false
    }

    /// The value its descriptor's `reading` names, as of the last quantum (a compressor's gain
    /// reduction in dB), sent to the page with its meter.
    fn reading(&self) -> Option<f32> {
        None
    }

    /// Drops whatever the node set aside on the render path (a replaced impulse response).
    /// Called off the render path, between quanta.
    fn collect_garbage(&mut self) {}

    /// For a node that keeps its recent input: the last `frames` samples, oldest first.
    /// Called between quanta; copies, never allocates.
    fn capture(&mut self, _frames: usize) -> Option<&[f32]> {
        None
    }

    /// For a node that trades quanta with its host between renders (a parted bounce's ends):
    /// the quanta it took in (`part-out`), or those it plays next (`part-in`).
    fn handover(&mut self) -> Option<&mut Handover> {
        None
    }
}

impl core::fmt::Debug for dyn Processor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("dyn Processor")
    }
}
