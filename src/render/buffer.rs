//! Render thread: the audio buffer every node output owns, with a silence flag so nodes
//! can skip work on silence.

use crate::{MAX_CHANNELS, QUANTUM};

/// One quantum of audio, up to [`MAX_CHANNELS`] channels.
///
/// When `is_silent()` the samples are to be read as zeros whatever they hold, so a node
/// marking its output silent need not clear it.
#[derive(Clone, Debug)]
pub struct AudioBuf {
    data: [[f32; QUANTUM]; MAX_CHANNELS],
    channels: usize,
    silent: bool,
}

/// A silent mono quantum, for inputs with nothing connected.
pub static SILENCE: AudioBuf = AudioBuf { data: [[0.0; QUANTUM]; MAX_CHANNELS], channels: 1, silent: true };

impl Default for AudioBuf {
    fn default() -> Self {
        SILENCE.clone()
    }
}

impl AudioBuf {
    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn is_silent(&self) -> bool {
        self.silent
    }

    /// Channel `index`; a mono buffer answers with its only channel (Web Audio's up-mix).
    #[inline]
    pub fn channel(&self, index: usize) -> &[f32; QUANTUM] {
        &self.data[if index < self.channels { index } else { 0 }]
    }

    #[inline]
    pub fn channel_mut(&mut self, index: usize) -> &mut [f32; QUANTUM] {
        &mut self.data[index]
    }

    /// Both channels at once, for kernels that write a stereo pair.
    #[inline]
    pub fn stereo_mut(&mut self) -> [&mut [f32; QUANTUM]; 2] {
        let [left, right] = &mut self.data;
        [left, right]
    }

    /// Marks the buffer as holding `channels` channels of real audio.
    #[inline]
    pub fn set_audible(&mut self, channels: usize) {
        self.channels = channels.clamp(1, MAX_CHANNELS);
        self.silent = false;
    }

    /// Marks the buffer silent without touching its samples.
    #[inline]
    pub fn set_silent(&mut self, channels: usize) {
        self.channels = channels.clamp(1, MAX_CHANNELS);
        self.silent = true;
    }

    /// Writes real zeros and marks the buffer silent, for readers that ignore the flag.
    pub fn clear(&mut self, channels: usize) {
        for ch in &mut self.data {
            ch.fill(0.0);
        }
        self.set_silent(channels);
    }

    /// Copies `src` in, up-mixing mono to every channel this buffer is given.
    pub fn copy_from(&mut self, src: &AudioBuf, channels: usize) {
        if src.is_silent() {
            self.clear(channels);
            return;
        }
        for ch in 0..channels {
            self.data[ch] = *src.channel(ch);
        }
        self.set_audible(channels);
    }

    /// The first sample of the whole buffer, for handing a pointer to JS.
    pub fn as_ptr(&self) -> *const f32 {
        self.data.as_ptr().cast()
    }

    pub fn as_mut_ptr(&mut self) -> *mut f32 {
        self.data.as_mut_ptr().cast()
    }
}

/// Quanta a node trades with its host in one go, between renders (a parted bounce's ends):
/// the node writes or reads `quanta[next]` and moves on; the host swaps whole blocks between
/// engines, so no sample is copied on the way.
#[derive(Clone, Debug, Default)]
pub struct Handover {
    pub quanta: Vec<AudioBuf>,
    pub next: usize,
}
