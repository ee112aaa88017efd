//! Control side: WAV (RIFF WAVE) files to and from planar f32 audio. Reads PCM 8/16/24/32-bit
//! and IEEE float 32/64-bit, plain or `WAVE_FORMAT_EXTENSIBLE`, any channel count and rate;
//! writes 16- and 24-bit PCM (optionally with TPDF dither) and 32-bit float.

use super::{FormatError, FormatErrorKind};

/// Decoded audio: one `Vec` per channel, all the same length.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    pub fn duration_seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }
}

/// The most samples (frames × channels) a read may produce: 2²⁸, 1 GiB of f32 — over an hour
/// of 48 kHz stereo. Past it a file is refused rather than allowed to exhaust a tab's memory.
pub const MAX_SAMPLES: usize = 1 << 28;
/// The highest sample rate taken: anything above is a corrupt header, not audio.
pub const MAX_SAMPLE_RATE: u32 = 768_000;
/// The most channels taken (WAVE_FORMAT_EXTENSIBLE names 18 speaker positions; 64 leaves room
/// for ambisonics).
pub const MAX_CHANNELS: u16 = 64;

const PCM: u16 = 0x0001;
const IEEE_FLOAT: u16 = 0x0003;
const EXTENSIBLE: u16 = 0xFFFE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Unsigned8,
    Signed16,
    Signed24,
    Signed32,
    Float32,
    Float64,
}

impl Encoding {
    fn bytes(self) -> usize {
        match self {
            Encoding::Unsigned8 => 1,
            Encoding::Signed16 => 2,
            Encoding::Signed24 => 3,
            Encoding::Signed32 | Encoding::Float32 => 4,
            Encoding::Float64 => 8,
        }
    }

    #[inline]
    fn decode(self, b: &[u8]) -> f32 {
        match self {
            Encoding::Unsigned8 => (f32::from(b[0]) - 128.0) / 128.0,
            Encoding::Signed16 => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0,
            Encoding::Signed24 => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
            Encoding::Signed32 => (f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])) / 2_147_483_648.0) as f32,
            Encoding::Float32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Encoding::Float64 => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32,
        }
    }
}

fn error(kind: FormatErrorKind, message: impl Into<String>) -> FormatError {
    FormatError::new(kind, message)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn chunk_name(id: &[u8]) -> String {
    id.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { char::from(b) } else { '?' }).collect()
}

struct Format {
    encoding: Encoding,
    channels: u16,
    sample_rate: u32,
}

fn parse_format(body: &[u8]) -> Result<Format, FormatError> {
    if body.len() < 16 {
        return Err(error(
            FormatErrorKind::Invalid,
            format!("the fmt chunk holds {} bytes; it needs at least 16", body.len()),
        ));
    }
    let mut tag = u16_at(body, 0);
    let channels = u16_at(body, 2);
    let sample_rate = u32_at(body, 4);
    let block_align = u16_at(body, 12);
    let bits = u16_at(body, 14);
    if tag == EXTENSIBLE {
        if body.len() < 40 {
            return Err(error(
                FormatErrorKind::Invalid,
                format!("an extensible fmt chunk needs 40 bytes; this one holds {}", body.len()),
            ));
        }
        // The sub-format GUID starts with the plain format tag.
        tag = u16_at(body, 24);
    }
    if channels == 0 {
        return Err(error(FormatErrorKind::Invalid, "the file says it has zero channels"));
    }
    if channels > MAX_CHANNELS {
        return Err(error(
            FormatErrorKind::Unsupported,
            format!("{channels} channels; at most {MAX_CHANNELS} are taken"),
        ));
    }
    if sample_rate == 0 || sample_rate > MAX_SAMPLE_RATE {
        return Err(error(
            FormatErrorKind::Invalid,
            format!("a sample rate of {sample_rate} Hz is not audio (1 Hz to {MAX_SAMPLE_RATE} Hz are taken)"),
        ));
    }
    let encoding = match (tag, bits) {
        (PCM, 8) => Encoding::Unsigned8,
        (PCM, 16) => Encoding::Signed16,
        (PCM, 24) => Encoding::Signed24,
        (PCM, 32) => Encoding::Signed32,
        (IEEE_FLOAT, 32) => Encoding::Float32,
        (IEEE_FLOAT, 64) => Encoding::Float64,
        (PCM | IEEE_FLOAT, bits) => {
            return Err(error(
                FormatErrorKind::Unsupported,
                format!("{bits}-bit samples; PCM 8/16/24/32-bit and float 32/64-bit are taken"),
            ))
        }
        (tag, _) => {
            return Err(error(
                FormatErrorKind::Unsupported,
                format!(
                    "WAV format tag 0x{tag:04X} ({}); only PCM and IEEE float are taken",
                    match tag {
                        0x0002 => "ADPCM",
                        0x0006 => "A-law",
                        0x0007 => "µ-law",
                        0x0011 => "IMA ADPCM",
                        0x0055 => "MP3",
                        _ => "a compressed codec",
                    }
                ),
            ))
        }
    };
    let frame = encoding.bytes() * usize::from(channels);
    if usize::from(block_align) != frame {
        return Err(error(
            FormatErrorKind::Invalid,
            format!("block align is {block_align} bytes, but {channels} channels of {bits}-bit samples take {frame}"),
        ));
    }
    Ok(Format { encoding, channels, sample_rate })
}

/// Reads a WAV file. Unknown chunks are skipped; the audio is the first `data` chunk.
pub fn read_wav(bytes: &[u8]) -> Result<Audio, FormatError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        if bytes.len() >= 12 && &bytes[0..4] == b"RF64" {
            return Err(error(FormatErrorKind::Unsupported, "RF64 (WAV larger than 4 GB) is not supported"));
        }
        return Err(error(FormatErrorKind::NotThisFormat, "not a WAV file: it does not begin with RIFF…WAVE"));
    }
    let mut at = 12;
    let mut format: Option<Format> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let claimed = u32_at(bytes, at + 4) as usize;
        let body_start = at + 8;
        let remaining = bytes.len() - body_start;
        if id == b"data" {
            let Some(format) = format.take() else {
                return Err(error(FormatErrorKind::Invalid, "the data chunk comes before any fmt chunk"));
            };
            // Streamed recorders leave the size at 0 or 0xFFFFFFFF when the data runs to the end.
            let streamed = (claimed == 0 || claimed == u32::MAX as usize) && remaining > 0;
            let length = if streamed { remaining } else { claimed };
            if length > remaining {
                return Err(error(
                    FormatErrorKind::Truncated,
                    format!("truncated: the data chunk claims {claimed} bytes, but only {remaining} follow"),
                ));
            }
            return decode(&format, &bytes[body_start..body_start + length]);
        }
        if claimed > remaining {
            return Err(error(
                FormatErrorKind::Truncated,
                format!(
                    "truncated or corrupt: the '{}' chunk claims {claimed} bytes, but only {remaining} follow",
                    chunk_name(id)
                ),
            ));
        }
        if id == b"fmt " {
            format = Some(parse_format(&bytes[body_start..body_start + claimed])?);
        }
        // Chunks are padded to an even length.
        at = body_start + claimed + (claimed & 1);
    }
    Err(error(
        if format.is_some() { FormatErrorKind::Truncated } else { FormatErrorKind::Invalid },
        if format.is_some() { "the file ends before its data chunk" } else { "the file has no fmt and data chunks" },
    ))
}

fn decode(format: &Format, data: &[u8]) -> Result<Audio, FormatError> {
    let channels = usize::from(format.channels);
    let frame = format.encoding.bytes() * channels;
    let frames = data.len() / frame;
    if frames.saturating_mul(channels) > MAX_SAMPLES {
        return Err(error(
            FormatErrorKind::TooLarge,
            format!("{frames} frames of {channels} channels is more than the {MAX_SAMPLES} samples a file may hold"),
        ));
    }
    let mut out: Vec<Vec<f32>> = (0..channels).map(|_| Vec::with_capacity(frames)).collect();
    let width = format.encoding.bytes();
    for frame_bytes in data.chunks_exact(frame) {
        for (ch, sample) in out.iter_mut().zip(frame_bytes.chunks_exact(width)) {
            ch.push(format.encoding.decode(sample));
        }
    }
    Ok(Audio { sample_rate: format.sample_rate, channels: out })
}

/// How a WAV is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    Pcm16,
    Pcm24,
    Float32,
}

impl SampleFormat {
    fn bytes(self) -> usize {
        match self {
            SampleFormat::Pcm16 => 2,
            SampleFormat::Pcm24 => 3,
            SampleFormat::Float32 => 4,
        }
    }
}

/// Triangular (TPDF) dither of ±1 LSB from a fixed-seed generator, so the same audio always
/// writes the same file.
struct Dither(u32);

impl Dither {
    fn uniform(&mut self) -> f64 {
        // xorshift32: plenty for dither, and reproducible everywhere.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        f64::from(self.0) / 4_294_967_296.0
    }

    fn next(&mut self) -> f64 {
        self.uniform() - self.uniform()
    }
}

/// Writes `audio` as a WAV. PCM scales by 2¹⁵ or 2²³ and clips (so a file read by
/// [`read_wav`] writes back to the same bytes); `dither` adds TPDF dither before rounding
/// (ignored for float). Refuses audio with no channels or channels of unequal length.
pub fn write_wav(audio: &Audio, format: SampleFormat, dither: bool) -> Result<Vec<u8>, FormatError> {
    let channels = audio.channels.len();
    if channels == 0 || channels > usize::from(MAX_CHANNELS) {
        return Err(error(FormatErrorKind::Invalid, format!("cannot write {channels} channels")));
    }
    let frames = audio.frames();
    if audio.channels.iter().any(|c| c.len() != frames) {
        return Err(error(FormatErrorKind::Invalid, "channels of different lengths"));
    }
    if audio.sample_rate == 0 || audio.sample_rate > MAX_SAMPLE_RATE {
        return Err(error(FormatErrorKind::Invalid, format!("cannot write a rate of {} Hz", audio.sample_rate)));
    }
    let width = format.bytes();
    let data_len = frames * channels * width;
    if data_len > u32::MAX as usize - 64 {
        return Err(error(FormatErrorKind::TooLarge, "more than a WAV file's 4 GB"));
    }
    let float = format == SampleFormat::Float32;
    let fmt_len: u32 = if float { 18 } else { 16 };
    let fact_len: u32 = if float { 12 } else { 0 };
    let riff_len = 4 + (8 + fmt_len) + fact_len + 8 + data_len as u32 + (data_len as u32 & 1);
    let mut out = Vec::with_capacity(riff_len as usize + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_len.to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&fmt_len.to_le_bytes());
    out.extend_from_slice(&(if float { IEEE_FLOAT } else { PCM }).to_le_bytes());
    out.extend_from_slice(&(channels as u16).to_le_bytes());
    out.extend_from_slice(&audio.sample_rate.to_le_bytes());
    let block_align = (channels * width) as u16;
    out.extend_from_slice(&(audio.sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&(width as u16 * 8).to_le_bytes());
    if float {
        out.extend_from_slice(&0u16.to_le_bytes());
        // Float WAVs carry a fact chunk with the frame count.
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&(frames as u32).to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    let mut noise = Dither(0x1234_5678);
    let (scale, min, max) = match format {
        SampleFormat::Pcm16 => (32_768.0, -32_768.0, 32_767.0),
        _ => (8_388_608.0, -8_388_608.0, 8_388_607.0),
    };
    for i in 0..frames {
        for ch in &audio.channels {
            let v = ch[i];
            if float {
                out.extend_from_slice(&v.to_le_bytes());
                continue;
            }
            let v = if v.is_finite() { f64::from(v) } else { 0.0 };
            let d = if dither { noise.next() } else { 0.0 };
            let q = (v * scale + d).round().clamp(min, max) as i32;
            match format {
                SampleFormat::Pcm16 => out.extend_from_slice(&(q as i16).to_le_bytes()),
                _ => out.extend_from_slice(&q.to_le_bytes()[..3]),
            }
        }
    }
    if data_len & 1 == 1 {
        out.push(0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize, channels: usize) -> Audio {
        let channels = (0..channels)
            .map(|c| {
                (0..frames).map(|i| ((i as f32 * 0.01 + c as f32).sin() * 0.8 * 32_768.0).round() / 32_768.0).collect()
            })
            .collect();
        Audio { sample_rate: 44_100, channels }
    }

    #[test]
    fn each_written_format_reads_back() {
        let audio = tone(1001, 2);
        for format in [SampleFormat::Pcm16, SampleFormat::Pcm24, SampleFormat::Float32] {
            let bytes = write_wav(&audio, format, false).unwrap();
            assert_eq!(read_wav(&bytes).unwrap(), audio, "{format:?}: values on the 16-bit grid come back exactly");
        }
    }

    #[test]
    fn dither_changes_the_rounding_but_not_the_signal() {
        let audio =
            Audio { sample_rate: 48_000, channels: vec![(0..48_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect()] };
        let plain = read_wav(&write_wav(&audio, SampleFormat::Pcm16, false).unwrap()).unwrap();
        let dithered = read_wav(&write_wav(&audio, SampleFormat::Pcm16, true).unwrap()).unwrap();
        assert_ne!(plain, dithered);
        let error = |a: &Audio| {
            let e: f64 = a.channels[0].iter().zip(&audio.channels[0]).map(|(x, y)| f64::from(x - y).powi(2)).sum();
            (e / 48_000.0).sqrt() * 32_768.0
        };
        // Rounding alone leaves 1/√12 ≈ 0.29 LSB RMS; TPDF dither adds 1/√6 ≈ 0.41: √0.25 = 0.5 LSB.
        assert!((error(&plain) - 0.289).abs() < 0.02, "{}", error(&plain));
        assert!((error(&dithered) - 0.5).abs() < 0.03, "{}", error(&dithered));
        // Deterministic: the same audio writes the same bytes.
        assert_eq!(write_wav(&audio, SampleFormat::Pcm16, true), write_wav(&audio, SampleFormat::Pcm16, true));
    }

    fn minimal(channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        let align = channels * bits / 8;
        b.extend_from_slice(&rate.wrapping_mul(u32::from(align)).to_le_bytes());
        b.extend_from_slice(&align.to_le_bytes());
        b.extend_from_slice(&bits.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn bad_files_give_errors_that_name_the_problem() {
        let good = minimal(1, 8000, 16, &[0, 0, 0, 64]);
        assert_eq!(read_wav(&good).unwrap().channels, vec![vec![0.0, 0.5]]);
        let check = |bytes: &[u8], kind: FormatErrorKind, words: &str| {
            let e = read_wav(bytes).unwrap_err();
            assert_eq!(e.kind, kind, "{e}");
            assert!(e.message.contains(words), "'{}' should mention '{words}'", e.message);
        };
        check(b"not a wav at all", FormatErrorKind::NotThisFormat, "not a WAV");
        check(&good[..good.len() - 2], FormatErrorKind::Truncated, "claims 4 bytes, but only 2");
        check(&minimal(0, 8000, 16, &[]), FormatErrorKind::Invalid, "zero channels");
        check(&minimal(1, 0, 16, &[0, 0]), FormatErrorKind::Invalid, "0 Hz");
        check(&minimal(1, 4_000_000_000, 16, &[0, 0]), FormatErrorKind::Invalid, "4000000000 Hz");
        check(&minimal(1, 8000, 12, &[0, 0]), FormatErrorKind::Unsupported, "12-bit");
        let mut gigabytes = good.clone();
        gigabytes[40..44].copy_from_slice(&0x7000_0000u32.to_le_bytes());
        check(&gigabytes, FormatErrorKind::Truncated, "claims 1879048192 bytes");
        let mut fmt_too_long = good.clone();
        fmt_too_long[16..20].copy_from_slice(&1000u32.to_le_bytes());
        check(&fmt_too_long, FormatErrorKind::Truncated, "'fmt ' chunk claims 1000 bytes");
        let mut adpcm = good.clone();
        adpcm[20..22].copy_from_slice(&2u16.to_le_bytes());
        check(&adpcm, FormatErrorKind::Unsupported, "ADPCM");
        let mut align = good.clone();
        align[32..34].copy_from_slice(&3u16.to_le_bytes());
        check(&align, FormatErrorKind::Invalid, "block align");
        check(&good[..36], FormatErrorKind::Truncated, "ends before its data");
    }

    #[test]
    fn odd_chunks_are_padded_and_unknown_chunks_skipped() {
        let mut bytes = minimal(1, 8000, 8, &[128, 192, 64]);
        // A 3-byte LIST chunk (plus its pad byte) between fmt and data.
        let data_at = 36;
        let list = [b'L', b'I', b'S', b'T', 3, 0, 0, 0, b'a', b'b', b'c', 0];
        bytes.splice(data_at..data_at, list);
        let audio = read_wav(&bytes).unwrap();
        assert_eq!(audio.channels, vec![vec![0.0, 0.5, -0.5]]);
        // The odd-length data chunk itself writes a pad byte.
        let odd =
            write_wav(&Audio { sample_rate: 8000, channels: vec![vec![0.25; 3]] }, SampleFormat::Pcm24, false).unwrap();
        assert_eq!(odd.len() % 2, 0);
        assert_eq!(read_wav(&odd).unwrap().channels[0], vec![0.25; 3]);
    }
}
