// Note names, as the piano roll, the Analysis tab and the library's key filter write them, and
// the notes a MIDI clip plays.

/** Pitch classes from C, sharps for the black keys (as the engine writes keys: "F# major"). */
export const PITCH_CLASSES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

/** "C4" for MIDI key 60 (middle C is C4). */
export function keyName(key) {
  return `${PITCH_CLASSES[((key % 12) + 12) % 12]}${Math.floor(key / 12) - 1}`;
}

/** The notes a MIDI clip plays: those it reaches (a trimmed clip keeps the rest, silent). */
export function heardNotes(clip) {
  return clip.content.notes.filter((n) => n.start < clip.length);
}
