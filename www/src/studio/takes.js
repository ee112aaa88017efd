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

/** Take folder `content` with take `take` playing, as the session's chooseTake leaves it. */
export function withTake(content, take) {
  if (content.type === 'audio') return { ...content, offset: content.takes[take] };
  const playing = content.take ?? 0;
  if (playing === take) return content;
  const takes = content.takes.slice();
  takes[playing] = content.notes;
  const notes = takes[take];
  takes[take] = [];
  return { ...content, notes, takes, take };
}

/**
 * The part of take folder `clip` from song tick `from` to `to` (`last`: the clip's last part,
 * which keeps the notes a trimmed clip holds past its end). `fresh()`, where given, gives the
 * part and its notes new ids; `framesInto(clip, tick)` counts an audio clip's sample frames
 * from its start to `tick`.
 */
function partOf(clip, from, to, last, fresh, framesInto) {
  const id = fresh ? fresh() : clip.id;
  const at = from - clip.start;
  if (clip.content.type === 'midi') {
    const content = midiSpan(clip.content, at, last ? Infinity : to - clip.start, fresh);
    return { id, start: from, length: to - from, content };
  }
  const into = at === 0 ? 0 : framesInto(clip, from);
  const content = { ...clip.content, offset: clip.content.offset + into, takes: clip.content.takes.map((t) => t + into) };
  return { id, start: from, length: to - from, content };
}

/**
 * Whether take folder `b` can join `a`, the part before it, with nothing heard differently:
 * touching, neither looped (a looped part repeats its own stretch), the same takes with the same
 * one playing; audio parts from the same recording, `b` starting in every take as far in as
 * `a`'s start plus the frames between them (within the one frame each cut rounds); MIDI parts
 * when no note of `a` reaches past its end (joined, it would sound on into `b`'s time).
 */
function continues(a, b, framesInto) {
  const [x, y] = [a.content, b.content];
  if (x.type !== y.type || a.start + a.length !== b.start || a.looping || b.looping) return false;
  if (!x.takes?.length || x.takes.length !== y.takes?.length || takeOf(x).index !== takeOf(y).index) return false;
  if (x.type === 'midi') return allNotes(x).every((n) => n.start + n.length <= a.length);
  if (x.asset !== y.asset) return false;
  const expected = framesInto(a, b.start);
  const moved = y.offset - x.offset;
  return Math.abs(moved - expected) <= 1 && x.takes.every((t, k) => y.takes[k] - t === moved);
}

/** Part `b` joined onto part `a` (see `continues`): one clip over both, `a`'s id. */
function joinedParts(a, b) {
  const length = a.length + b.length;
  if (a.content.type === 'audio') return { ...a, length };
  const later = (notes) => notes.map((n) => ({ ...n, start: n.start + a.length }));
  const { notes, takes } = a.content;
  const content = { ...a.content, notes: [...notes, ...later(b.content.notes)], takes: takes.map((t, k) => [...t, ...later(b.content.takes[k])]) };
  return { ...a, length, content };
}

/**
 * Comping: take `take` plays from tick `from` to `to` on a track's take folders. Each folder
 * the span crosses is cut where the span's edges fall inside it and its part inside plays the
 * take; parts that then carry on from each other (the same takes, the same one playing; audio from
 * the same recording) are joined again, so comping a take over its neighbour's take leaves one
 * clip and no cut. A cut clip's
 * first part keeps its id; `fresh()` gives the other parts and their notes ids of their own.
 * Returns the edits for one batch (none when nothing would change), the ids of the clips that
 * play the take over the span afterwards, and how many looped folders in the span were left.
 */
export function compEdits(track, from, to, take, { fresh, framesInto }) {
  const inSpan = track.clips.filter((c) => takeOf(c.content).count > take && c.start < to && c.start + c.length > from);
  // A looped folder is left as it is: its parts would repeat the loop from elsewhere.
  const looped = inSpan.filter((c) => c.looping).length;
  const touched = inSpan.filter((c) => takeOf(c.content).index !== take && !c.looping);
  const made = [];
  for (const clip of touched) {
    const end = clip.start + clip.length;
    const inside = [Math.max(from, clip.start), Math.min(to, end)];
    const bounds = [...new Set([clip.start, ...inside, end])];
    bounds.slice(1).forEach((e, i) => {
      const part = partOf(clip, bounds[i], e, i === bounds.length - 2, i === 0 ? null : fresh, framesInto);
      if (bounds[i] === inside[0]) part.content = withTake(part.content, take);
      made.push(part);
    });
  }
  const changed = new Set(touched.map((c) => c.id));
  const kept = track.clips.filter((c) => !changed.has(c.id));
  const clips = [...kept, ...made].sort((a, b) => a.start - b.start || a.id - b.id);
  // Joins run over the whole row so a new part meets its neighbours, old or new.
  const joined = [];
  for (const clip of clips) {
    const before = joined.at(-1);
    const mine = (c) => made.includes(c) || changed.has(c.id);
    if (before && (mine(before) || mine(clip)) && continues(before, clip, framesInto)) {
      joined[joined.length - 1] = joinedParts(before, clip);
      changed.add(before.id);
      changed.add(clip.id);
    } else {
      joined.push(clip);
    }
  }
  const original = new Map(track.clips.map((c) => [c.id, c]));
  const removed = [...changed].filter((id) => original.has(id));
  const added = joined.filter((c) => !original.has(c.id) || original.get(c.id) !== c);
  const edits = [
    ...removed.map((id) => ({ edit: 'removeClip', track: track.id, clip: id })),
    ...added.map((clip) => ({ edit: 'addClip', track: track.id, clip })),
  ];
  const playing = joined.filter((c) => c.start < to && c.start + c.length > from && takeOf(c.content).count > take
    && takeOf(c.content).index === take).map((c) => c.id);
  return { edits, playing, looped };
}
