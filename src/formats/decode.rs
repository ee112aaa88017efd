//! Native only: compressed audio — MP3, FLAC, Ogg Vorbis, AAC in MP4/M4A — decoded with
//! symphonia into the same planar channels the WAV reader gives, so the CLI, the library scan
//! and the Python package analyse a collection of them. The browser decodes them in the page.

use super::wav::Audio;
use super::{FormatError, FormatErrorKind};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// Decoded audio longer than this is refused rather than held in memory (as the WAV reader's
/// limit: an hour of 8 channels at 192 kHz is far past it).
const MAX_SAMPLES: usize = 1 << 30;

fn error(kind: FormatErrorKind, message: impl Into<String>) -> FormatError {
    FormatError { kind, message: message.into() }
}

/// The audio in `bytes`; `NotThisFormat` when they are none of the formats above. Damaged frames
/// are skipped as players skip them; a file that ends early keeps what came before the end.
pub fn decode(bytes: &[u8]) -> Result<Audio, FormatError> {
    let source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes.to_vec())), Default::default());
    let probed = symphonia::default::get_probe()
        .format(&Hint::new(), source, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|_| error(FormatErrorKind::NotThisFormat, "not an audio format this reads"))?;
    let mut format = probed.format;
    let track =
        format.default_track().ok_or_else(|| error(FormatErrorKind::Invalid, "the file holds no audio track"))?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| error(FormatErrorKind::Unsupported, format!("its codec is not decoded here ({e})")))?;
    let mut sample_rate = track.codec_params.sample_rate;
    let mut channels: Vec<Vec<f32>> = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(error(FormatErrorKind::Invalid, format!("the audio stream is damaged ({e})"))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(Error::DecodeError(_)) => continue,
            Err(e) => return Err(error(FormatErrorKind::Invalid, format!("the audio could not be decoded ({e})"))),
        };
        let spec = *decoded.spec();
        let frames = decoded.frames();
        sample_rate = Some(spec.rate);
        let count = spec.channels.count();
        if channels.is_empty() {
            channels = vec![Vec::new(); count];
        }
        if count != channels.len() || frames == 0 {
            continue;
        }
        if channels[0].len().saturating_add(frames).saturating_mul(count) > MAX_SAMPLES {
            return Err(error(FormatErrorKind::TooLarge, "the decoded audio is too long to analyse"));
        }
        let samples = match &mut buffer {
            Some(b) if b.capacity() >= decoded.capacity() => b,
            slot => slot.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        samples.copy_planar_ref(decoded);
        for (c, channel) in channels.iter_mut().enumerate() {
            channel.extend_from_slice(&samples.samples()[c * frames..(c + 1) * frames]);
        }
    }
    match sample_rate {
        Some(rate) if !channels.is_empty() && !channels[0].is_empty() => Ok(Audio { sample_rate: rate, channels }),
        _ => Err(error(FormatErrorKind::Invalid, "the file decodes to no audio")),
    }
}
