//! Quaver on the command line.
//!
//! `quaver analyze FILE… [--json]` prints each audio (WAV, MP3, FLAC, Ogg Vorbis, AAC) or MIDI
//! file's tempo, key and loudness (with `--json`, one JSON object per line and file, in the order given; a file that cannot be
//! analysed gets a line with its `error`). `quaver library scan DIR --db FILE` analyses a folder
//! into an SQLite database on every core, skipping what is stored and unchanged (so a stopped
//! scan resumes). `quaver library query --db FILE [--bpm 120..128] [--key "A minor"] [--kind
//! midi|audio] [--seconds 10..60] [--loudness -20..-10] [--copies] [--errors]` prints matching
//! rows as JSON lines, copies of one content once.
//!
//! `quaver render PROJECT.json OUT.wav [--rate HZ] [--format
//! pcm16|pcm24|float32] [--tail SECONDS] [--no-dither] [--samples DIR] [--stems DIR] [--loudness
//! LUFS [--ceiling DBTP]] [--threads N]` renders a
//! saved project with the engine the page plays it with (and, with `--stems`, each track alone
//! into DIR as `NN name.wav`), its tracks in N parts side by side (at most one a mix group;
//! N is every core by default), which gives the same samples as one engine. PROJECT is a project JSON or a bundle (`.quaver`,
//! with its samples); samples a JSON project names are WAV files in DIR (by default the
//! project's folder), as `NAME` or `NAME.wav`.

#[cfg(not(target_arch = "wasm32"))]
use quaver::analysis::summary::{FileKind, Record};
use quaver::formats::wav::{write_wav, Audio, SampleFormat};
#[cfg(not(target_arch = "wasm32"))]
use quaver::library;
use quaver::session::bounce::{stem, stem_file_name, Bounce, BounceRange};
use quaver::session::{assets, bundle, file, Sample, Samples};
#[cfg(not(target_arch = "wasm32"))]
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage:
  quaver render PROJECT.json OUT.wav [--rate 44100|48000|96000] [--format pcm16|pcm24|float32] [--tail SECONDS] [--no-dither] [--samples DIR] [--stems DIR] [--loudness LUFS [--ceiling DBTP]] [--threads N]
  quaver analyze FILE... [--json]
  quaver library scan DIR --db FILE [--quiet]
  quaver library query --db FILE [--bpm LO..HI] [--key \"A minor\"] [--kind midi|audio] [--seconds LO..HI] [--loudness LO..HI] [--copies] [--errors]";

struct RenderArgs {
    project: String,
    out: String,
    rate: u32,
    format: SampleFormat,
    tail: f64,
    dither: bool,
    samples: Option<PathBuf>,
    /// Where each track's stem goes, besides the mix.
    stems: Option<PathBuf>,
    /// Integrated loudness to bring the mix to (LUFS), under a true-peak ceiling (dBTP).
    loudness: Option<f64>,
    ceiling: f64,
    /// Parts the mix's tracks render in, side by side on rayon's threads; every core by default.
    threads: usize,
}

fn parse_render(args: &[String]) -> Result<RenderArgs, String> {
    let mut positional = Vec::new();
    let mut parsed = RenderArgs {
        project: String::new(),
        out: String::new(),
        rate: 48_000,
        format: SampleFormat::Pcm24,
        tail: 2.0,
        dither: true,
        samples: None,
        stems: None,
        loudness: None,
        ceiling: -1.0,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--rate" => {
                let v = value("--rate")?;
                parsed.rate = v
                    .parse()
                    .ok()
                    .filter(|r| (8000..=192_000).contains(r))
                    .ok_or(format!("--rate {v}: give 8000–192000 Hz"))?;
            }
            "--format" => {
                parsed.format = match value("--format")?.as_str() {
                    "pcm16" => SampleFormat::Pcm16,
                    "pcm24" => SampleFormat::Pcm24,
                    "float32" => SampleFormat::Float32,
                    other => return Err(format!("--format {other}: give pcm16, pcm24 or float32")),
                }
            }
            "--tail" => {
                let v = value("--tail")?;
                parsed.tail = v
                    .parse()
                    .ok()
                    .filter(|t: &f64| (0.0..=60.0).contains(t))
                    .ok_or(format!("--tail {v}: give 0–60 seconds"))?;
            }
            "--no-dither" => parsed.dither = false,
            "--loudness" | "--ceiling" => {
                let v = value(arg)?;
                let level = v
                    .parse::<f64>()
                    .ok()
                    .filter(|l| (-70.0..=0.0).contains(l))
                    .ok_or(format!("{arg} {v}: give −70…0"))?;
                if arg == "--loudness" {
                    parsed.loudness = Some(level);
                } else {
                    parsed.ceiling = level;
                }
            }
            "--threads" => {
                let v = value("--threads")?;
                parsed.threads =
                    v.parse().ok().filter(|n| (1..=256).contains(n)).ok_or(format!("--threads {v}: give 1–256"))?;
            }
            "--samples" => parsed.samples = Some(PathBuf::from(value("--samples")?)),
            "--stems" => parsed.stems = Some(PathBuf::from(value("--stems")?)),
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => positional.push(other.to_string()),
        }
    }
    let [project, out] =
        <[String; 2]>::try_from(positional).map_err(|_| "render takes a project and an output file".to_string())?;
    parsed.project = project;
    parsed.out = out;
    Ok(parsed)
}

fn render(args: &RenderArgs) -> Result<(), String> {
    let bytes = std::fs::read(&args.project).map_err(|e| format!("{}: {e}", args.project))?;
    let (history, mut samples) = if bundle::is_bundle(&bytes) {
        bundle::read(&bytes).map_err(|e| format!("{}: {e}", args.project))?
    } else {
        let json =
            String::from_utf8(bytes).map_err(|_| format!("{}: neither a project file nor a bundle", args.project))?;
        (file::load(&json).map_err(|e| format!("{}: {e}", args.project))?, Samples::new())
    };
    let range = BounceRange { tail_seconds: args.tail, ..BounceRange::default() };
    let folder = args
        .samples
        .clone()
        .unwrap_or_else(|| Path::new(&args.project).parent().unwrap_or(Path::new(".")).to_path_buf());
    // A bundle carries its samples; any it lacks are looked for in the folder.
    samples.extend(read_samples(&history.project, &folder, &samples)?);
    let gain = write_bounce(&history.project, &samples, args, range, Path::new(&args.out), Gain::Measure)?;
    if let Some(dir) = &args.stems {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (i, track) in history.project.tracks.iter().enumerate() {
            let project = stem(&history.project, track.id).expect("the track is in the project");
            // Stems take the mix's loudness gain, so they still add up to it.
            write_bounce(
                &project,
                &samples,
                args,
                range,
                &dir.join(stem_file_name(i, &track.name)),
                Gain::Fixed(gain),
            )?;
        }
    }
    Ok(())
}

/// How a bounce's level is set: measured against `--loudness` (the mix), or the mix's gain.
enum Gain {
    Measure,
    Fixed(Option<f64>),
}

fn write_bounce(
    project: &quaver::session::Project,
    samples: &Samples,
    args: &RenderArgs,
    range: BounceRange,
    out: &Path,
    level: Gain,
) -> Result<Option<f64>, String> {
    let bounce = Bounce::parted(project, samples, args.rate as f32, range, args.threads).map_err(|e| e.to_string())?;
    let frames = bounce.frames();
    let mut audio = Audio { sample_rate: args.rate, channels: bounce.finish() };
    let gain = match (level, args.loudness) {
        (Gain::Measure, Some(target)) => {
            quaver::analysis::loudness::normalise(&mut audio.channels, args.rate, target, args.ceiling)
                .map_err(|e| e.0)?
        }
        (Gain::Fixed(Some(db)), _) => {
            let scale = 10f64.powf(db / 20.0) as f32;
            audio.channels.iter_mut().flatten().for_each(|v| *v *= scale);
            Some(db)
        }
        _ => None,
    };
    let bytes = write_wav(&audio, args.format, args.dither).map_err(|e| e.to_string())?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    let note = gain.map_or_else(String::new, |g| format!(", {g:+.1} dB for loudness"));
    eprintln!("{}: {frames} frames at {} Hz{note}", out.display(), args.rate);
    Ok(gain)
}

/// Every sample the project names, read from `folder`; a missing or unreadable one is an error.
fn read_samples(project: &quaver::session::Project, folder: &Path, have: &Samples) -> Result<Samples, String> {
    let mut samples = Samples::new();
    for name in assets::missing(project, have) {
        let plain = folder.join(&name);
        let path = if plain.is_file() { plain } else { folder.join(format!("{name}.wav")) };
        let bytes = std::fs::read(&path).map_err(|e| format!("sample '{name}': {}: {e}", path.display()))?;
        let sample = Sample::from_wav(&bytes).map_err(|e| format!("sample '{name}': {}: {e}", path.display()))?;
        samples.insert(name, Arc::new(sample));
    }
    Ok(samples)
}

#[cfg(not(target_arch = "wasm32"))]
/// `analyze`: every file in parallel, printed in the order given.
fn analyze(args: &[String]) -> Result<(), String> {
    use rayon::prelude::*;
    let json = args.iter().any(|a| a == "--json");
    if let Some(other) = args.iter().find(|a| a.starts_with("--") && *a != "--json") {
        return Err(format!("unknown option {other}"));
    }
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if files.is_empty() {
        return Err("analyze takes one or more files".into());
    }
    let records: Vec<Record> = files.par_iter().map(|f| library::analyze_path(Path::new(f))).collect();
    let mut out = std::io::stdout().lock();
    for r in &records {
        let line = if json { serde_json::to_string(r).expect("records serialise") } else { describe(r) };
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
/// A record for people: "song.wav: 124.0 BPM, A minor (0.82), −14.2 LUFS".
fn describe(r: &Record) -> String {
    if let Some(error) = &r.error {
        return format!("{}: error: {error}", r.file);
    }
    let mut parts = Vec::new();
    if let Some(bpm) = r.bpm {
        parts.push(format!("{bpm:.1} BPM"));
    }
    if let (Some(key), Some(c)) = (r.key, r.key_confidence) {
        parts.push(format!("{key} ({c:.2})"));
    }
    if r.key_disagrees == Some(true) {
        parts.push(format!("declares {}", r.declared_key.map_or_else(String::new, |k| k.to_string())));
    }
    if let Some(l) = r.loudness_lufs {
        parts.push(format!(
            "{l:.1} LUFS, range {:.1} LU, peak {:.1} dBTP",
            r.loudness_range_lu.unwrap_or(0.0),
            r.true_peak_dbtp.unwrap_or(f64::NAN)
        ));
    }
    if let Some(s) = r.seconds {
        parts.push(format!("{s:.1} s"));
    }
    format!("{}: {}", r.file, parts.join(", "))
}

#[cfg(not(target_arch = "wasm32"))]
/// The value after `--name` in `args`, if given.
fn option<'a>(args: &'a [String], name: &str) -> Result<Option<&'a str>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args.get(i + 1).map(|v| Some(v.as_str())).ok_or(format!("{name} needs a value")),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn library_command(args: &[String]) -> Result<(), String> {
    let db = option(args, "--db")?.ok_or("library needs --db FILE")?;
    match args.first().map(String::as_str) {
        Some("scan") => {
            let dir = args.get(1).filter(|a| !a.starts_with("--")).ok_or("library scan needs a folder")?;
            if !Path::new(dir).is_dir() {
                return Err(format!("{dir}: not a folder"));
            }
            let mut library = library::Library::open(Path::new(db)).map_err(|e| e.to_string())?;
            let bar = if args.iter().any(|a| a == "--quiet") {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new(0)
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, {eta} left")
                    .expect("a valid template"),
            );
            let started = std::time::Instant::now();
            let report = library::scan(Path::new(dir), &mut library, |stored, total| {
                bar.set_length(total as u64);
                bar.set_position(stored as u64);
            })
            .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "{} files found, {} unchanged, {} analysed ({} with errors) in {seconds:.1} s ({:.0} files/s)",
                report.found,
                report.unchanged,
                report.analysed,
                report.errors,
                report.analysed as f64 / seconds.max(1e-9)
            );
            Ok(())
        }
        Some("query") => {
            let range = |name: &str| option(args, name)?.map(library::store::parse_range).transpose();
            let filter = library::Filter {
                bpm: range("--bpm")?,
                seconds: range("--seconds")?,
                loudness: range("--loudness")?,
                key: option(args, "--key")?.map(str::parse).transpose()?,
                kind: match option(args, "--kind")? {
                    None => None,
                    Some("midi") => Some(FileKind::Midi),
                    Some("audio") => Some(FileKind::Audio),
                    Some(other) => return Err(format!("--kind {other}: give midi or audio")),
                },
                copies: args.iter().any(|a| a == "--copies"),
                errors: args.iter().any(|a| a == "--errors"),
            };
            if !Path::new(db).is_file() {
                return Err(format!("{db}: no library there yet (make one with `quaver library scan DIR --db {db}`)"));
            }
            let library = library::Library::open(Path::new(db)).map_err(|e| e.to_string())?;
            let rows = library.query(&filter).map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            for (record, copies) in &rows {
                let mut value = serde_json::to_value(record).expect("records serialise");
                value["copies"] = (*copies).into();
                writeln!(out, "{value}").map_err(|e| e.to_string())?;
            }
            eprintln!("{} rows", rows.len());
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("render") => parse_render(&args[1..]).and_then(|a| render(&a)),
        #[cfg(not(target_arch = "wasm32"))]
        Some("analyze") => analyze(&args[1..]),
        #[cfg(not(target_arch = "wasm32"))]
        Some("library") => library_command(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("quaver: {message}");
            ExitCode::FAILURE
        }
    }
}
