//! Render thread: the two ends of a cut in a parted bounce. A project's graph is rendered as
//! several engines side by side (one per thread, each with some of the tracks) and one that
//! mixes them: where a track's sound leaves its part, a `part-out` keeps each quantum it takes
//! in, and in the mixing engine a `part-in` of the same name plays it back. Each hands over a
//! whole [`AudioBuf`] — samples, channel count and silence flag — so what the mixing engine
//! hears is bit for bit what the whole graph would have passed along that connection.

use super::NodeType;
use crate::graph::NodeSpec;
use crate::render::{AudioBuf, Handover, ProcessContext, Processor, Status};

pub const OUT_SPEC: NodeSpec = NodeSpec { name: "part-out", internal: true, ..NodeSpec::EFFECT };
pub const OUT: NodeType = NodeType {
    spec: &OUT_SPEC,
    build: |_, _| Box::<PartOut>::default(),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

pub const IN_SPEC: NodeSpec = NodeSpec { name: "part-in", inputs: 0, internal: true, ..NodeSpec::EFFECT };
pub const IN: NodeType = NodeType {
    spec: &IN_SPEC,
    build: |_, _| Box::<PartIn>::default(),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// Keeps each quantum it takes in, in the block its host gave it; its own output is silent
/// (nothing reads it). Given no block it keeps nothing; a quantum past the block's end is an
/// error (its host is late).
#[derive(Debug, Default)]
pub struct PartOut {
    block: Handover,
}

impl Processor for PartOut {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        outputs[0].set_silent(1);
        let Handover { quanta, next } = &mut self.block;
        if quanta.is_empty() {
            return Status::Normal;
        }
        let Some(kept) = quanta.get_mut(*next) else {
            return Status::Error("a part's block was full: its host did not take it in time");
        };
        // The whole buffer, flags and all: a reader of the copy must see what a reader of the
        // original would.
        kept.clone_from(inputs[0]);
        *next += 1;
        Status::Normal
    }

    fn handover(&mut self) -> Option<&mut Handover> {
        Some(&mut self.block)
    }
}

/// Plays the quanta its host handed it, one a render; silence once they run out.
#[derive(Debug, Default)]
pub struct PartIn {
    block: Handover,
}

impl Processor for PartIn {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let Handover { quanta, next } = &mut self.block;
        match quanta.get(*next) {
            Some(quantum) => {
                outputs[0].clone_from(quantum);
                *next += 1;
            }
            None => outputs[0].set_silent(1),
        }
        Status::Normal
    }

    fn handover(&mut self) -> Option<&mut Handover> {
        Some(&mut self.block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::QUANTUM;

    const CX: ProcessContext = ProcessContext { sample_rate: 48_000.0, frame: 0, time: 0.0 };

    fn bits(b: &AudioBuf) -> (usize, bool, Vec<u32>) {
        let samples = (0..2).flat_map(|ch| b.channel(ch).map(f32::to_bits)).collect();
        (b.channels(), b.is_silent(), samples)
    }

    #[test]
    fn what_a_part_out_takes_a_part_in_plays_exactly_flags_and_all() {
        let mut stereo = AudioBuf::default();
        for (i, v) in stereo.channel_mut(0).iter_mut().enumerate() {
            *v = i as f32 * 0.25 - 7.0;
        }
        stereo.channel_mut(1).fill(-0.0);
        stereo.set_audible(2);
        // Silent, but with samples in it: a reader must be handed exactly these too.
        let mut silent_mono = AudioBuf::default();
        silent_mono.channel_mut(0)[5] = 3.0;
        silent_mono.set_silent(1);
        let given = [stereo, silent_mono];
        let (mut out, mut play) = (PartOut::default(), PartIn::default());
        *out.handover().expect("a part-out hands over") = Handover { quanta: vec![AudioBuf::default(); 2], next: 0 };
        let mut sink = [AudioBuf::default()];
        for quantum in &given {
            assert_eq!(out.process(&[quantum], &mut sink, &CX), Status::Normal);
            assert!(sink[0].is_silent(), "nothing reads a part-out's own output");
        }
        assert!(
            matches!(out.process(&[&given[0]], &mut sink, &CX), Status::Error(_)),
            "a third quantum does not fit a block of two"
        );
        core::mem::swap(out.handover().expect("hands over"), play.handover().expect("is handed"));
        play.handover().expect("is handed").next = 0;
        let mut played = [AudioBuf::default()];
        for quantum in &given {
            play.process(&[], &mut played, &CX);
            assert_eq!(bits(&played[0]), bits(quantum));
        }
        play.process(&[], &mut played, &CX);
        assert!(played[0].is_silent(), "silence once the block is played");
        assert_eq!(played[0].channel(0).len(), QUANTUM);
    }
}
