// Note names, as the piano roll, the Analysis tab and the library's key filter write them, and
// the notes a MIDI clip plays.

/** Pitch classes from C, sharps for the black keys (as the engine writes keys: "F# major"). */
export const PITCH_CLASSES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** "C4" for MIDI key 60 (middle C is C4). */
export function keyName(key) {
  return `${PITCH_CLASSES[((key % 12) + 12) % 12]}${Math.floor(key / 12) - 1}`;
}

/** Ticks of content a clip plays before it repeats: its loop's, or (playing once) its length. */
export const contentLength = (clip) => clip.looping?.length ?? clip.length;

/**
 * The fades an audio clip plays, in ticks, `[in, out]`: as the engine's `Clip::fades` has them,
 * shrunk in proportion where together they are longer than the clip.
 */
export function clipFades(clip) {
  const { fade_in: rise = 0, fade_out: fall = 0 } = clip.content;
  if (rise + fall <= clip.length) return [rise, fall];
  const shrunk = Math.floor((rise * clip.length) / (rise + fall));
  return [shrunk, Math.min(fall, clip.length - shrunk)];
}

/** An audio clip's level from its gain and fades `into` ticks from its start (linear, 0 to its gain). */
export function clipLevel(clip, into) {
  const [rise, fall] = clipFades(clip);
  let level = 10 ** ((clip.content.gain_db ?? 0) / 20);
  if (rise > 0 && into < rise) level *= Math.max(0, into / rise);
  if (fall > 0 && into > clip.length - fall) level *= Math.max(0, (clip.length - into) / fall);
  return level;
}

/** The notes a MIDI clip plays: those it reaches (a trimmed clip keeps the rest, silent; a looped one, those past its loop). */
export function heardNotes(clip) {
  return clip.content.notes.filter((n) => n.start < contentLength(clip));
}

/**
 * The stretches of its content a clip plays, as the engine lays them: `[at, from, length]`, from
 * `at` ticks into the clip its content from `from` for `length` ticks — one for a clip that plays
 * once, one per repeat of a looped clip.
 */
export function repeats(clip) {
  if (!clip.looping) return [[0, 0, clip.length]];
  const period = clip.looping.length;
  const out = [];
  let from = clip.looping.phase ?? 0;
  for (let at = 0; at < clip.length; from = 0) {
    const length = Math.min(period - from, clip.length - at);
    out.push([at, from, length]);
    at += length;
  }
  return out;
}

/** Ticks into a clip's content at song tick `tick`: where its repeat there is in the loop. */
export function contentTick(clip, tick) {
  const [at, from] = repeats(clip).findLast(([a]) => clip.start + a <= tick) ?? [0, 0];
  return from + tick - clip.start - at;
}

/**
 * Seconds into a clip's content at song tick `tick` (in the clip), through the tempo map `tempo`,
 * as the engine plays an audio clip: the sample keeps its own speed, and a repeat that starts
 * `from` ticks into the content starts as many seconds in as those ticks last just before it (or,
 * too near the song's start for that, just after the song's start).
 */
export function contentSeconds(clip, tick, tempo) {
  const stretches = repeats(clip);
  const [at, from] = stretches.findLast(([a]) => clip.start + a <= tick) ?? stretches[0];
  const begins = clip.start + at;
  const measured = Math.max(begins, from);
  return tempo.secondsAt(tick) - tempo.secondsAt(begins) + tempo.secondsAt(measured) - tempo.secondsAt(measured - from);
}

/** The notes a MIDI clip sounds, each repeat's: starts from the clip's start, cut where the repeat ends. */
export function soundingNotes(clip) {
  const heard = heardNotes(clip);
  return repeats(clip).flatMap(([at, from, length]) => heard
    .filter((n) => n.start >= from && n.start < from + length)
    .map((n) => ({ ...n, start: at + n.start - from, length: Math.min(n.length, from + length - n.start) })));
}
