//! Quaver on the command line. `quaver render PROJECT.json OUT.wav [--rate HZ] [--format
//! pcm16|pcm24|float32] [--tail SECONDS] [--no-dither] [--samples DIR] [--stems DIR]` renders a
//! saved project with the engine the page plays it with (and, with `--stems`, each track alone
//! into DIR as `NN name.wav`). PROJECT is a project JSON or a bundle (`.quaver`,
//! with its samples); samples a JSON project names are WAV files in DIR (by default the
//! project's folder), as `NAME` or `NAME.wav`.

use quaver::formats::wav::{write_wav, Audio, SampleFormat};
use quaver::session::bounce::{stem, stem_file_name, Bounce, BounceRange};
use quaver::session::{assets, bundle, file, Sample, Samples};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: quaver render PROJECT.json OUT.wav [--rate 44100|48000|96000] [--format pcm16|pcm24|float32] [--tail SECONDS] [--no-dither] [--samples DIR] [--stems DIR]";

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
    write_bounce(&history.project, &samples, args, range, Path::new(&args.out))?;
    if let Some(dir) = &args.stems {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (i, track) in history.project.tracks.iter().enumerate() {
            let project = stem(&history.project, track.id).expect("the track is in the project");
            write_bounce(&project, &samples, args, range, &dir.join(stem_file_name(i, &track.name)))?;
        }
    }
    Ok(())
}

fn write_bounce(
    project: &quaver::session::Project,
    samples: &Samples,
    args: &RenderArgs,
    range: BounceRange,
    out: &Path,
) -> Result<(), String> {
    let bounce = Bounce::new(project, samples, args.rate as f32, range).map_err(|e| e.to_string())?;
    let frames = bounce.frames();
    let audio = Audio { sample_rate: args.rate, channels: bounce.finish() };
    let bytes = write_wav(&audio, args.format, args.dither).map_err(|e| e.to_string())?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("{}: {frames} frames at {} Hz", out.display(), args.rate);
    Ok(())
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("render") => parse_render(&args[1..]).and_then(|a| render(&a)),
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
