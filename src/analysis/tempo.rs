//! Onsets, tempo and beats from audio. The onset strength is band-wise spectral flux of
//! log-compressed magnitudes: low (kick, bass), middle (snare, chords) and high (cymbals) bands
//! are each scaled to unit spread before they are summed, so a quiet kick counts as much as a
//! loud hi-hat; the beat is looked for in the low and middle bands. The tempo is the period whose first four multiples the onset strength's
//! autocorrelation holds best — the fastest such period when several hold nearly as well, since
//! a bar or half bar repeats whenever the beat does — refined over many beats to a fraction of a
//! frame. Beats are the comb of that period that gathers the most onset strength.

use super::stft::{Stft, Window};
use super::vertex_offset;
use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

/// The onset strength of a signal: one value per STFT hop.
#[derive(Clone, Debug, PartialEq)]
pub struct OnsetStrength {
    /// Values per second.
    pub frame_rate: f64,
    /// Seconds of frame 0's flux. Value `i` compares frames whose newer one ends at `(i + 1)·hop`;
    /// a sharp sound's flux peaks a hop or two after it enters, so a value stands one hop
    /// before its frame's end (checked against clicks at known times).
    pub offset: f64,
    /// All three bands: where anything starts (onset times).
    pub values: Vec<f32>,
    /// Low, middle and high bands' flux, each scaled to unit standard deviation.
    pub bands: [Vec<f32>; 3],
}

impl OnsetStrength {
    pub fn time(&self, frame: f64) -> f64 {
        self.offset + frame / self.frame_rate
    }
}

/// Tempo and beats.
#[derive(Clone, Debug, PartialEq)]
pub struct Tempo {
    pub bpm: f64,
    /// The onset strength's mean autocorrelation at the first four beat multiples, 0 … 1: near 1
    /// for a steady beat, near 0 where nothing repeats.
    pub confidence: f64,
    /// Seconds of each beat.
    pub beats: Vec<f64>,
}

/// Slowest and fastest tempi considered.
pub const MIN_BPM: f64 = 40.0;
pub const MAX_BPM: f64 = 250.0;
/// Band edges in Hz.
const LOW_MIDDLE_HZ: f64 = 200.0;
const MIDDLE_HIGH_HZ: f64 = 5000.0;
/// Below this confidence nothing repeats enough to call a tempo (a held tone, noise).
pub const MIN_CONFIDENCE: f64 = 0.1;
/// A faster candidate wins when it holds at least this share of the best candidate's score.
const FASTEST_SHARE: f64 = 0.75;

/// How much more clearly (in autocorrelation) the slower of two octave candidates must show a
/// backbeat than the faster to be chosen; evenly repeating clicks show none at either.
const BACKBEAT_MARGIN: f64 = 0.05;

/// The STFT size and hop for onsets at `sample_rate`: 2048 and 256 at 44.1 or 48 kHz (frames of
/// about 43 ms every 5.3 ms), the same durations at other rates.
fn onset_frame(sample_rate: f64) -> (usize, usize) {
    let size = ((sample_rate * 0.025).round() as usize).next_power_of_two().clamp(256, 8192);
    (size, size / 8)
}

/// Band-wise spectral flux of `samples`.
pub fn onset_strength(samples: &[f32], sample_rate: f64) -> OnsetStrength {
    let (size, hop) = onset_frame(sample_rate);
    let mut stft = Stft::new(size, hop, Window::Hann).expect("a power of two");
    let bin_hz = sample_rate / size as f64;
    let low_end = ((LOW_MIDDLE_HZ / bin_hz).round() as usize).max(2);
    let middle_end = ((MIDDLE_HIGH_HZ / bin_hz).round() as usize).min(stft.bins());
    // Magnitudes in units of a sine's amplitude, compressed: ln(1 + 1000·A).
    let scale = 4.0 / size as f32 * 1000.0;
    let frames = stft.frame_count(samples.len());
    let mut previous = vec![0.0f32; stft.bins()];
    let mut bands = [Vec::with_capacity(frames), Vec::with_capacity(frames), Vec::with_capacity(frames)];

    // Frames lead the signal by a whole frame, so a sound at sample 0 enters like any other.
    stft.for_each_frame_led(samples, size, |frame, magnitudes| {
        let mut flux = [0.0f32; 3];
        for (k, (&m, last)) in magnitudes.iter().zip(previous.iter_mut()).enumerate().skip(1) {
            let compressed = (1.0 + scale * m).ln();
            let band = if k < low_end {
                0
            } else if k < middle_end {
                1
            } else {
                2
            };
            flux[band] += (compressed - *last).max(0.0);
            *last = compressed;
        }
        if frame > 0 {
            for (series, value) in bands.iter_mut().zip(flux) {
                series.push(value);
            }
        }
    });
    for series in bands.iter_mut() {
        let spread = standard_deviation(series);
        let scale = if spread > 1e-6 { 1.0 / spread } else { 0.0 };
        series.iter_mut().for_each(|x| *x *= scale);
    }
    let values = (0..bands[0].len()).map(|i| bands[0][i] + bands[1][i] + bands[2][i]).collect();
    OnsetStrength { frame_rate: sample_rate / hop as f64, offset: -(hop as f64) / sample_rate, values, bands }
}

fn standard_deviation(series: &[f32]) -> f32 {
    if series.is_empty() {
        return 0.0;
    }
    let mean = series.iter().sum::<f32>() / series.len() as f32;
    (series.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / series.len() as f32).sqrt()
}

/// Seconds of each onset: local maxima of the onset strength over ±30 ms that rise above the
/// local mean by half a standard deviation of the whole.
pub fn onset_times(onsets: &OnsetStrength) -> Vec<f64> {
    let v = &onsets.values;
    let reach = ((0.03 * onsets.frame_rate).round() as usize).max(1);
    let average = ((0.1 * onsets.frame_rate).round() as usize).max(1);
    let delta = 0.5 * standard_deviation(v);
    let mut times = Vec::new();
    let mut last: Option<usize> = None;
    for i in 0..v.len() {
        let around = &v[i.saturating_sub(reach)..(i + reach + 1).min(v.len())];
        if v[i] <= 0.0 || around.iter().any(|&x| x > v[i]) {
            continue;
        }
        let context = &v[i.saturating_sub(average)..(i + average + 1).min(v.len())];
        let local_mean = context.iter().sum::<f32>() / context.len() as f32;
        if v[i] >= local_mean + delta && last.is_none_or(|l| i - l > reach) {
            let (a, b, c) =
                (v.get(i.wrapping_sub(1)).copied().unwrap_or(0.0), v[i], v.get(i + 1).copied().unwrap_or(0.0));
            let offset = vertex_offset(f64::from(a), f64::from(b), f64::from(c)).clamp(-1.0, 1.0);
            times.push(onsets.time(i as f64 + offset).max(0.0));
            last = Some(i);
        }
    }
    times
}

/// The autocorrelation of `values` with their mean removed, scaled so lag 0 is 1.
fn autocorrelation(values: &[f32]) -> Vec<f64> {
    let n = values.len();
    let size = (2 * n).next_power_of_two().max(2);
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n.max(1) as f64;
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(size);
    let inverse = planner.plan_fft_inverse(size);
    let mut input = forward.make_input_vec();
    for (slot, &v) in input.iter_mut().zip(values) {
        *slot = f64::from(v) - mean;
    }
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut input, &mut spectrum).expect("planned sizes");
    for c in spectrum.iter_mut() {
        *c = Complex::new(c.norm_sqr(), 0.0);
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut out).expect("planned sizes");
    out.truncate(n);
    let zero = out.first().copied().unwrap_or(0.0);
    if zero > 0.0 {
        out.iter_mut().for_each(|v| *v /= zero);
    }
    out
}

/// Linear interpolation into `series` at a fractional index (0 outside).
fn at(series: &[f64], index: f64) -> f64 {
    if index < 0.0 {
        return 0.0;
    }
    let i = index.floor() as usize;
    match (series.get(i), series.get(i + 1)) {
        (Some(a), Some(b)) => a + (b - a) * (index - i as f64),
        (Some(a), None) => *a,
        _ => 0.0,
    }
}

/// The highest value of `series` within 4 % (at least two frames) of `lag`.
fn peak_near(series: &[f64], lag: f64) -> f64 {
    let reach = (0.04 * lag).max(2.0);
    let lo = (lag - reach).floor().max(0.0) as usize;
    let hi = ((lag + reach).ceil() as usize).min(series.len().saturating_sub(1));
    series.get(lo..=hi).map_or(0.0, |s| s.iter().copied().fold(f64::MIN, f64::max))
}

/// How well a beat of `period` frames repeats: the autocorrelation's mean over its first four
/// multiples.
fn period_score(acf: &[f64], period: f64) -> f64 {
    (1..=4).map(|k| at(acf, k as f64 * period)).sum::<f64>() / 4.0
}

/// The period (frames) near `period` that the autocorrelation's peaks at many multiples agree
/// on: each multiple's peak located to a fraction of a frame, then a least-squares line
/// through the origin.
fn refine_period(acf: &[f64], period: f64) -> f64 {
    let mut estimate = period;
    let (mut weighted, mut weights) = (0.0, 0.0);
    for k in 1..=32 {
        let centre = k as f64 * estimate;
        let reach = (0.1 * estimate).max(2.0);
        let (lo, hi) = ((centre - reach).floor().max(1.0) as usize, (centre + reach).ceil() as usize);
        if hi + 1 >= acf.len() {
            break;
        }
        let peak = (lo..=hi).max_by(|&a, &b| acf[a].total_cmp(&acf[b])).expect("a non-empty range");
        if peak == lo || peak == hi || acf[peak] <= 0.0 {
            continue;
        }
        let (a, b, c) = (acf[peak - 1], acf[peak], acf[peak + 1]);
        let position = peak as f64 + vertex_offset(a, b, c);
        let k = k as f64;
        // Least squares through the origin: period = Σ k·p / Σ k², weighted by peak height.
        weighted += b * k * position;
        weights += b * k * k;
        estimate = weighted / weights;
    }
    estimate
}

/// The tempo of `onsets`; `None` when the signal is too short for two beats at the slowest
/// tempo, holds no onsets, or repeats too little to have a tempo.
pub fn tempo(onsets: &OnsetStrength) -> Option<Tempo> {
    let fps = onsets.frame_rate;
    let longest = 60.0 * fps / MIN_BPM;
    if (onsets.values.len() as f64) < 2.0 * longest || onsets.values.iter().all(|&v| v <= 0.0) {
        return None;
    }
    // The beat from the low and middle bands only: cymbals tick in subdivisions of the beat and
    // pull the estimate to twice the tempo.
    let beat_strength: Vec<f32> = onsets.bands[0].iter().zip(&onsets.bands[1]).map(|(l, m)| l + m).collect();
    let acf = autocorrelation(&beat_strength);
    // Scores on a grid of 0.5 % steps in tempo.
    let steps = ((MAX_BPM / MIN_BPM).ln() / 0.005f64.ln_1p()).ceil() as usize;
    let grid: Vec<(f64, f64)> = (0..=steps)
        .map(|i| {
            let bpm = MIN_BPM * 1.005f64.powi(i as i32);
            (bpm, period_score(&acf, 60.0 * fps / bpm))
        })
        .collect();
    let peaks: Vec<(f64, f64)> = (1..grid.len() - 1)
        .filter(|&i| grid[i].1 > 0.0 && grid[i].1 >= grid[i - 1].1 && grid[i].1 >= grid[i + 1].1)
        .map(|i| grid[i])
        .collect();
    let best = peaks.iter().map(|p| p.1).fold(0.0, f64::max);
    if best <= 0.0 {
        return None;
    }
    let candidates: Vec<f64> = peaks.iter().filter(|p| p.1 >= FASTEST_SHARE * best).map(|p| p.0).collect();
    let fastest = *candidates.last().expect("the best peak qualifies");
    // A beat and its half repeat about as well when the kick plays off-beat eighths. The middle
    // band (snare, claps) then tells them apart: a backbeat repeats every two beats, not every
    // beat, so the true beat's period shows that step and its half's does not.
    let mid = autocorrelation(&onsets.bands[1]);
    let backbeat = |bpm: f64| {
        let period = 60.0 * fps / bpm;
        peak_near(&mid, 2.0 * period) - peak_near(&mid, period)
    };
    let half = candidates.iter().copied().find(|&bpm| (2.0 * bpm / fastest - 1.0).abs() <= 0.03);
    let rough_bpm = match half {
        Some(slower) if backbeat(slower) > backbeat(fastest).max(0.0) + BACKBEAT_MARGIN => slower,
        _ => fastest,
    };
    let period = refine_period(&acf, 60.0 * fps / rough_bpm);
    let confidence = period_score(&acf, period).clamp(0.0, 1.0);
    if confidence < MIN_CONFIDENCE {
        return None;
    }
    Some(Tempo { bpm: 60.0 * fps / period, confidence, beats: beats(&beat_strength, onsets, period) })
}

/// Beat times: the comb of `period` frames whose teeth gather the most onset strength.
fn beats(v: &[f32], onsets: &OnsetStrength, period: f64) -> Vec<f64> {
    let sample = |i: f64| {
        let i = i.round() as usize;
        v[i.saturating_sub(1)..(i + 2).min(v.len())].iter().copied().fold(0.0f32, f32::max)
    };
    let phases = period.ceil() as usize;
    let best_phase = (0..phases)
        .map(|p| {
            let mut sum = 0.0f32;
            let mut t = p as f64;
            while t < v.len() as f64 {
                sum += sample(t);
                t += period;
            }
            (p, sum)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0, |(p, _)| p);
    let mut times = Vec::new();
    let mut t = best_phase as f64;
    while t < v.len() as f64 {
        times.push(onsets.time(t));
        t += period;
    }
    times
}

/// The tempo of `samples` in one step.
pub fn tempo_of(samples: &[f32], sample_rate: f64) -> Option<Tempo> {
    tempo(&onset_strength(samples, sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clicks(bpm: f64, seconds: f64, rate: f64) -> Vec<f32> {
        let mut out = vec![0.0f32; (seconds * rate) as usize];
        let mut beat = 0.0;
        while beat < seconds {
            let start = (beat * rate) as usize;
            for (i, v) in out.iter_mut().skip(start).take(400).enumerate() {
                *v = (0.8 * (-(i as f64) / 60.0).exp() * (i as f64 * 0.9).sin()) as f32;
            }
            beat += 60.0 / bpm;
        }
        out
    }

    #[test]
    fn a_click_track_reads_its_tempo_within_half_a_percent_and_its_beats_on_the_clicks() {
        for bpm in [72.0, 97.5, 128.0, 174.0] {
            let t = tempo_of(&clicks(bpm, 12.0, 44_100.0), 44_100.0).unwrap();
            assert!((t.bpm / bpm - 1.0).abs() < 0.005, "{bpm}: {t:?}");
            assert!(t.confidence > 0.5, "{bpm}: {}", t.confidence);
            let period = 60.0 / bpm;
            for beat in &t.beats {
                let offset = (beat / period - (beat / period).round()).abs() * period;
                assert!(offset < 0.02, "{bpm}: beat at {beat}");
            }
        }
    }

    #[test]
    fn silence_and_short_signals_have_no_tempo() {
        assert!(tempo_of(&vec![0.0; 44_100 * 5], 44_100.0).is_none());
        assert!(tempo_of(&clicks(120.0, 1.0, 44_100.0), 44_100.0).is_none());
    }

    #[test]
    fn onsets_are_found_at_each_click() {
        let onsets = onset_strength(&clicks(100.0, 6.0, 48_000.0), 48_000.0);
        let times = onset_times(&onsets);
        assert_eq!(times.len(), 10, "{times:?}");
        for (i, t) in times.iter().enumerate() {
            assert!((t - i as f64 * 0.6).abs() < 0.006, "{i}: {t} in {times:?}");
        }
    }
}
