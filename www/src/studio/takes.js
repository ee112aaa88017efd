// Take folders: a clip recorded over the loop keeps one take per pass, and one of them plays.
// An audio folder keeps where each pass starts in its sample; a MIDI folder keeps each pass's
// notes, the playing take's in `notes` and an empty place for it in `takes`.

/**
 * Which take of a clip plays, from 0, and how many it has (0 when it is no take folder), for
 * the chooser and the labels.
 */
export function takeOf(content) {
  if (content.type === 'midi') {
    const count = content.takes?.length ?? 0;
    return { index: count ? content.take ?? 0 : -1, count };
  }
  const takes = content.takes ?? [];
  return { index: takes.indexOf(content.offset), count: takes.length };
}

/** Every note of a MIDI clip's content, its takes that do not play included. */
export function allNotes(content) {
  return content.type === 'midi' ? [content.notes, ...(content.takes ?? [])].flat() : [];
}

/**
 * MIDI content over the loop `region` from notes recorded while it looped (`start` in song
 * ticks, `pass`: how many times the loop had gone round), a take for each pass with notes, the
 * last one playing; `ids` gives each note an id, in order. Notes before the region (played
 * before the song first reached it) are returned apart. Null when at most one pass has notes.
 */
export function midiLoopTakes(notes, region, ids) {
  const inside = notes.filter((n) => n.start >= region.start && n.start < region.end);
  const passes = [...new Set(inside.map((n) => n.pass))].sort((a, b) => a - b);
  if (passes.length < 2) return null;
  let next = 0;
  const takes = passes.map((pass) => inside
    .filter((n) => n.pass === pass)
    .map(({ key, velocity, start, length }) => ({ id: ids[next++], key, velocity, start: start - region.start, length }))
    .sort((a, b) => a.start - b.start || a.key - b.key || a.id - b.id));
  const take = takes.length - 1;
  const content = { type: 'midi', notes: takes[take], takes: takes.map((t, k) => (k === take ? [] : t)), take };
  return { content, before: notes.filter((n) => n.start < region.start) };
}

/**
 * The MIDI content `content` from tick `from` to `to` of its clip (every take alike), notes
 * moved to start at `from`; `fresh()` gives new note ids where `renumber`.
 */
export function midiSpan(content, from, to, fresh = null) {
  const cut = (notes) => notes
    .filter((n) => n.start >= from && n.start < to)
    .map((n) => ({ ...n, id: fresh ? fresh() : n.id, start: n.start - from }));
  const out = { type: 'midi', notes: cut(content.notes) };
  if (content.takes?.length) Object.assign(out, { takes: content.takes.map(cut), take: content.take ?? 0 });
  return out;
}

/** A take folder's notes all in one plain clip content: every pass played together. */
export function mergedTakes(content) {
  const notes = allNotes(content).sort((a, b) => a.start - b.start || a.key - b.key || a.id - b.id);
  return { type: 'midi', notes };
}
