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
 * ticks; `pass`: [the transport's start, how many times the loop had gone round since]), a take
 * for each pass with notes, the last one playing; `ids` gives each note an id, in order. Notes
 * outside the region (played before the song first reached it, or while another region looped)
 * are returned apart. Null when at most one pass has notes.
 */
export function midiLoopTakes(notes, region, ids) {
  const inside = notes.filter((n) => n.start >= region.start && n.start < region.end);
  const key = ([start, pass]) => `${start}/${pass}`;
  const passes = [...new Map(inside.map((n) => [key(n.pass), n.pass])).values()]
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (passes.length < 2) return null;
  let next = 0;
  const takes = passes.map((pass) => inside
    .filter((n) => key(n.pass) === key(pass))
    .map(({ key: k, velocity, start, length }) => ({ id: ids[next++], key: k, velocity, start: start - region.start, length }))
    .sort((a, b) => a.start - b.start || a.key - b.key || a.id - b.id));
  const take = takes.length - 1;
  const content = { type: 'midi', notes: takes[take], takes: takes.map((t, k) => (k === take ? [] : t)), take };
  return { content, apart: notes.filter((n) => !inside.includes(n)) };
}

/**
 * The MIDI content `content` from tick `from` to `to` of its clip (every take alike; `to` may be
 * Infinity, for the notes a trimmed clip keeps past its end too), notes moved to start at
 * `from`; `fresh()`, where given, gives each a new id.
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
