//! Loudness by EBU R128 / ITU-R BS.1770 with the `ebur128` crate: integrated loudness, the
//! loudest momentary (400 ms) and short-term (3 s) readings, loudness range and true peak, and
//! the short-term curve every 100 ms for drawing. The loudness range is taken from that 10 Hz
//! curve by EBU Tech 3342's gates and percentiles: its 2016 revision asks for short-term
//! readings at least every 0.1 s, and the crate's own range samples them once a second, which
//! reads up to a loudness unit apart on music with sections a few seconds long.

use ebur128::{EbuR128, Mode};

/// A signal's loudness. Levels with nothing to measure (silence, or shorter than a block) are
/// `-inf`.
#[derive(Clone, Debug, PartialEq)]
pub struct Loudness {
    /// LUFS, gated (absolute −70 LUFS, relative −10 LU).
    pub integrated: f64,
    pub momentary_max: f64,
    pub short_term_max: f64,
    /// LU between the 10th and 95th percentiles of gated short-term loudness.
    pub range: f64,
    /// dBTP: the highest inter-sample peak over all channels (4× oversampled).
    pub true_peak: f64,
    /// dBFS: the highest sample.
    pub sample_peak: f64,
    /// Short-term loudness every 100 ms (LUFS; `-inf` where silent).
    pub short_term: Vec<f32>,
}

/// Why a signal could not be measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoudnessError(pub String);

impl core::fmt::Display for LoudnessError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn decibels(amplitude: f64) -> f64 {
    if amplitude > 0.0 {
        20.0 * amplitude.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Measures planar `channels` at `sample_rate`. Mono counts as one front channel (as ffmpeg's
/// `ebur128` filter does); 5.1 is taken in WAV order (L R C LFE Ls Rs), LFE unweighted.
pub fn loudness(channels: &[Vec<f32>], sample_rate: u32) -> Result<Loudness, LoudnessError> {
    let count = u32::try_from(channels.len()).map_err(|_| LoudnessError("too many channels".into()))?;
    if count == 0 {
        return Err(LoudnessError("no channels to measure".into()));
    }
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    let mode = Mode::I | Mode::M | Mode::S | Mode::TRUE_PEAK | Mode::SAMPLE_PEAK;
    let mut meter = EbuR128::new(count, sample_rate, mode)
        .map_err(|e| LoudnessError(format!("cannot measure this audio: {e:?}")))?;
    let block = (sample_rate / 10).max(1) as usize;
    let (mut momentary_max, mut short_term_max) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut short_term = Vec::with_capacity(frames / block + 1);
    let mut whole_windows = Vec::with_capacity(frames / block + 1);
    let mut planar: Vec<&[f32]> = Vec::with_capacity(channels.len());
    let mut start = 0;
    while start < frames {
        let end = (start + block).min(frames);
        planar.clear();
        planar.extend(channels.iter().map(|c| &c[start..end]));
        meter.add_frames_planar_f32(&planar).map_err(|e| LoudnessError(format!("{e:?}")))?;
        let elapsed = end as f64 / f64::from(sample_rate);
        // Readings before a whole window has passed describe zeros the signal does not hold.
        if elapsed >= 0.4 {
            momentary_max = momentary_max.max(meter.loudness_momentary().unwrap_or(f64::NEG_INFINITY));
        }
        let short = meter.loudness_shortterm().unwrap_or(f64::NEG_INFINITY);
        if elapsed >= 3.0 {
            short_term_max = short_term_max.max(short);
            whole_windows.push(short);
        }
        short_term.push(short as f32);
        start = end;
    }
    let integrated = meter.loudness_global().unwrap_or(f64::NEG_INFINITY);
    let range = loudness_range(&whole_windows);
    let mut true_peak = 0.0f64;
    let mut sample_peak = 0.0f64;
    for channel in 0..count {
        true_peak = true_peak.max(meter.true_peak(channel).unwrap_or(0.0));
        sample_peak = sample_peak.max(meter.sample_peak(channel).unwrap_or(0.0));
    }
    Ok(Loudness {
        integrated,
        momentary_max,
        short_term_max,
        range,
        true_peak: decibels(true_peak),
        sample_peak: decibels(sample_peak),
        short_term,
    })
}

/// EBU Tech 3342: of the short-term readings above −70 LUFS, those within 20 LU of their
/// power mean, spread from the 10th to the 95th percentile (0 when fewer than two remain).
pub fn loudness_range(short_term: &[f64]) -> f64 {
    let power = |lufs: f64| 10f64.powf(lufs / 10.0);
    let audible: Vec<f64> = short_term.iter().copied().filter(|&l| l > -70.0).collect();
    if audible.is_empty() {
        return 0.0;
    }
    let mean = 10.0 * (audible.iter().map(|&l| power(l)).sum::<f64>() / audible.len() as f64).log10();
    let mut gated: Vec<f64> = audible.into_iter().filter(|&l| l >= mean - 20.0).collect();
    if gated.len() < 2 {
        return 0.0;
    }
    gated.sort_by(f64::total_cmp);
    let percentile = |p: f64| gated[((p * (gated.len() - 1) as f64).round() as usize).min(gated.len() - 1)];
    percentile(0.95) - percentile(0.10)
}

/// The gain (dB) that brings `measured` to `target_lufs` without its true peak passing
/// `ceiling_dbtp`: the smaller of the two. `None` when there is nothing to normalise.
pub fn normalising_gain(measured: &Loudness, target_lufs: f64, ceiling_dbtp: f64) -> Option<f64> {
    if !measured.integrated.is_finite() || !measured.true_peak.is_finite() {
        return None;
    }
    Some((target_lufs - measured.integrated).min(ceiling_dbtp - measured.true_peak))
}

/// Scales `channels` so their integrated loudness is `target_lufs`, or less where that would
/// put the true peak above `ceiling_dbtp` (loudness normalisation never clips or limits).
/// Returns the gain applied in dB; `None` (nothing changed) for silence.
pub fn normalise(
    channels: &mut [Vec<f32>],
    sample_rate: u32,
    target_lufs: f64,
    ceiling_dbtp: f64,
) -> Result<Option<f64>, LoudnessError> {
    if !(target_lufs.is_finite() && ceiling_dbtp.is_finite()) {
        return Err(LoudnessError(format!(
            "a loudness target of {target_lufs} LUFS with a ceiling of {ceiling_dbtp} dBTP"
        )));
    }
    let Some(gain_db) = normalising_gain(&loudness(channels, sample_rate)?, target_lufs, ceiling_dbtp) else {
        return Ok(None);
    };
    let gain = 10f64.powf(gain_db / 20.0) as f32;
    channels.iter_mut().flatten().for_each(|v| *v *= gain);
    Ok(Some(gain_db))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(db: f64, hz: f64, seconds: f64, rate: u32) -> Vec<f32> {
        let amplitude = 10f64.powf(db / 20.0);
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| (amplitude * (core::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    #[test]
    fn silence_has_no_loudness_and_no_channels_is_an_error() {
        let l = loudness(&[vec![0.0; 48_000 * 2]], 48_000).unwrap();
        assert_eq!(l.integrated, f64::NEG_INFINITY);
        assert_eq!(l.true_peak, f64::NEG_INFINITY);
        assert_eq!(l.short_term.len(), 20);
        assert!(loudness(&[], 48_000).is_err());
        assert!(loudness(&[vec![0.0; 10]], 0).is_err());
    }

    #[test]
    fn normalising_brings_a_quiet_mix_to_the_target_and_a_peaky_one_under_the_ceiling() {
        let mut quiet = vec![sine(-35.0, 1000.0, 6.0, 48_000), sine(-35.0, 1000.0, 6.0, 48_000)];
        let gain = normalise(&mut quiet, 48_000, -14.0, -1.0).unwrap().unwrap();
        let after = loudness(&quiet, 48_000).unwrap();
        // A stereo 1 kHz sine reads its peak level in LUFS: −35, so 21 dB up.
        assert!((after.integrated + 14.0).abs() < 0.05 && (gain - 21.0).abs() < 0.1, "{gain} {after:?}");
        // A mono −3 dBFS sine reads −6 LUFS; reaching −5 would put its peak at −2 dBTP, so the
        // −6 dBTP ceiling holds it 3 dB down instead.
        let mut loud = vec![sine(-3.0, 1000.0, 6.0, 48_000)];
        normalise(&mut loud, 48_000, -5.0, -6.0).unwrap().unwrap();
        assert!((loudness(&loud, 48_000).unwrap().true_peak + 6.0).abs() < 0.05);
        let mut silent = vec![vec![0.0f32; 48_000]];
        assert_eq!(normalise(&mut silent, 48_000, -14.0, -1.0), Ok(None));
        assert!(normalise(&mut silent, 48_000, f64::NAN, -1.0).is_err());
    }

    #[test]
    fn normalising_takes_the_smaller_of_loudness_and_peak_room() {
        let l = loudness(&[sine(-20.0, 1000.0, 5.0, 48_000), sine(-20.0, 1000.0, 5.0, 48_000)], 48_000).unwrap();
        // A stereo 1 kHz sine at −20 dBFS reads −20 LUFS (Tech 3341 case 1 is the −23 version).
        assert!((l.integrated + 20.0).abs() < 0.1, "{l:?}");
        assert!((normalising_gain(&l, -14.0, -1.0).unwrap() - 6.0).abs() < 0.1);
        assert!((normalising_gain(&l, -14.0, -18.0).unwrap() - 2.0).abs() < 0.1);
    }
}
