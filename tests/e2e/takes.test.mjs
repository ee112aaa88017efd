// Take folders' pure parts (www/src/studio/takes.js), in Node: how recorded notes become takes,
// how a folder is cut, merged and comped. The page's own use of them is in studio.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allNotes, compEdits, mergedTakes, midiLoopTakes, midiSpan, takeOf, withTake } from '../../www/src/studio/takes.js';

const region = { start: 1920, end: 3840 };
const played = (key, start, pass) => ({ key, velocity: 90, start, length: 120, pass });

test('notes recorded over a loop become a take per pass with notes, the last playing; notes outside the loop are kept apart', () => {
  const notes = [
    played(60, 2000, [1, 0]),
    played(64, 100, [1, 0]), // before the song reached the loop
    played(62, 2100, [1, 2]), // pass 1 had no notes: no take for it
    played(61, 1920, [1, 2]),
    played(65, 2200, [2, 0]), // the transport started again: its pass 0 is a pass of its own
    played(67, 5000, [2, 0]), // after the loop (the region moved while recording)
  ];
  const ids = [11, 12, 13, 14, 15, 16, 17];
  const { content, apart } = midiLoopTakes(notes, region, ids);
  assert.equal(content.take, 2, 'the last pass plays');
  assert.deepEqual(content.notes.map((n) => [n.key, n.start]), [[65, 280]]);
  assert.deepEqual(content.takes.map((t) => t.map((n) => [n.key, n.start])), [[[60, 80]], [[61, 0], [62, 180]], []]);
  assert.deepEqual(apart.map((n) => n.key), [64, 67], 'nothing played is lost');
  const used = allNotes(content).map((n) => n.id);
  assert.equal(new Set(used).size, used.length, 'every note has an id of its own');
  assert.ok(used.every((id) => ids.includes(id)));
  assert.deepEqual(takeOf(content), { index: 2, count: 3 });
});

test('one pass with notes is no folder', () => {
  assert.equal(midiLoopTakes([played(60, 2000, [1, 1]), played(62, 2500, [1, 1]), played(64, 10, [1, 0])], region, [1, 2, 3, 4]), null);
});

test('a folder cut in two keeps every take in each half, notes past a trimmed end included', () => {
  const folder = {
    type: 'midi',
    notes: [{ id: 1, key: 60, velocity: 90, start: 0, length: 10 }, { id: 2, key: 62, velocity: 90, start: 500, length: 10 }],
    takes: [[{ id: 3, key: 64, velocity: 90, start: 900, length: 10 }], []],
    take: 1,
  };
  let next = 100;
  const first = midiSpan(folder, 0, 480);
  const second = midiSpan(folder, 480, Infinity, () => next++);
  assert.deepEqual(first, { type: 'midi', notes: [folder.notes[0]], takes: [[], []], take: 1 });
  assert.deepEqual(second.notes.map((n) => [n.id, n.start]), [[100, 20]]);
  assert.deepEqual(second.takes.map((t) => t.map((n) => [n.id, n.start])), [[[101, 420]], []]);
  assert.deepEqual(takeOf(second), { index: 1, count: 2 });
  assert.deepEqual(mergedTakes(folder).notes.map((n) => n.id), [1, 2, 3], 'merged: every take at once, in time order');
  assert.deepEqual(takeOf({ type: 'midi', notes: [] }), { index: -1, count: 0 });
  assert.deepEqual(takeOf({ type: 'audio', asset: 'a.wav', offset: 96000, takes: [0, 96000] }), { index: 1, count: 2 });
});

/** A track's clips after a batch of removeClip/addClip edits, in time order, as the session keeps them. */
function applied(track, edits) {
  let clips = track.clips.slice();
  for (const e of edits) {
    assert.equal(e.track, track.id);
    if (e.edit === 'removeClip') {
      assert.ok(clips.some((c) => c.id === e.clip), `clip ${e.clip} is there to remove`);
      clips = clips.filter((c) => c.id !== e.clip);
    } else {
      assert.equal(e.edit, 'addClip');
      assert.ok(!clips.some((c) => c.id === e.clip.id), `clip ${e.clip.id} is new`);
      clips.push(e.clip);
    }
  }
  return { ...track, clips: clips.sort((a, b) => a.start - b.start || a.id - b.id) };
}

// 44.1 kHz at 120 BPM and 960 ticks a beat: 22.96875 frames a tick, so cuts round.
const FRAMES_PER_TICK = 22.96875;
const framesInto = (clip, tick) => Math.round((tick - clip.start) * FRAMES_PER_TICK);
const loopFrames = 1920 * FRAMES_PER_TICK;

function audioTrack() {
  const takes = [0, loopFrames, 2 * loopFrames];
  const folder = { id: 5, start: 3840, length: 1920, content: { type: 'audio', asset: 'take.wav', offset: takes[2], takes } };
  const other = { id: 6, start: 7680, length: 960, content: { type: 'audio', asset: 'hit.wav', offset: 0 } };
  return { id: 1, kind: 'audio', clips: [folder, other] };
}

/** What an audio track plays: for each sample frame of the song from `from` to `to` (ticks), the asset and frame, by part. */
function heardFrames(track, from, to) {
  return Array.from({ length: to - from }, (_, i) => {
    const tick = from + i;
    const clip = track.clips.find((c) => c.start <= tick && tick < c.start + c.length);
    return clip ? `${clip.content.asset}:${clip.content.offset + Math.round((tick - clip.start) * FRAMES_PER_TICK)}` : '-';
  });
}

test('comping an audio take folder cuts it where the span falls inside, the span plays the take, and the rest of the song is untouched', () => {
  const track = audioTrack();
  let next = 100;
  const { edits, playing } = compEdits(track, 4320, 4800, 0, { fresh: () => next++, framesInto });
  const after = applied(track, edits);
  assert.deepEqual(after.clips.map((c) => [c.id, c.start, c.length, takeOf(c.content).index]), [[5, 3840, 480, 2], [100, 4320, 480, 0], [101, 4800, 960, 2], [6, 7680, 960, -1]]);
  assert.deepEqual(playing, [100]);
  // Each part starts as far into every take as it is into the folder, so the takes not comped
  // play exactly what they did, and the span plays take 1 from the same place in the loop.
  const into = (c) => framesInto(track.clips[0], c.start);
  for (const c of after.clips.slice(0, 3)) assert.deepEqual(c.content.takes, track.clips[0].content.takes.map((t) => t + into(c)));
  const before = heardFrames(track, 3840, 8640);
  const now = heardFrames(after, 3840, 8640);
  now.forEach((frame, i) => {
    const tick = 3840 + i;
    if (tick >= 4320 && tick < 4800) assert.equal(frame, `take.wav:${Math.round((tick - 3840) * FRAMES_PER_TICK)}`, `tick ${tick} plays take 1`);
    else assert.equal(frame, before[i], `tick ${tick} is as it was`);
  });
});

test('comping the take back over the same span joins the parts into the folder as it was, and comps that meet join too', () => {
  const track = audioTrack();
  let next = 100;
  const fresh = () => next++;
  const once = applied(track, compEdits(track, 4320, 4800, 0, { fresh, framesInto }).edits);
  const back = compEdits(once, 4320, 4800, 2, { fresh, framesInto });
  assert.deepEqual(applied(once, back.edits), track, 'one clip again, as before the comp');
  assert.deepEqual(back.playing, [5]);
  // Two drags over take 1 that overlap: one part plays it over both spans.
  const wider = applied(once, compEdits(once, 4560, 5280, 0, { fresh, framesInto }).edits);
  assert.deepEqual(wider.clips.map((c) => [c.start, c.length, takeOf(c.content).index]), [[3840, 480, 2], [4320, 960, 0], [5280, 480, 2], [7680, 960, -1]]);
  const heard = heardFrames(wider, 3840, 5760);
  heard.forEach((frame, i) => {
    const tick = 3840 + i;
    const take = tick >= 4320 && tick < 5280 ? 0 : 2;
    const expected = Math.round(take * loopFrames + (tick - 3840) * FRAMES_PER_TICK);
    const [, got] = frame.split(':').map(Number);
    assert.ok(Math.abs(got - expected) <= 1, `tick ${tick}: frame ${got}, take ${take + 1} has ${expected}`);
  });
});

test('comps that meet on a tick where the frames round differently still join, within the one frame each cut rounds', () => {
  const track = audioTrack();
  let next = 100;
  const fresh = () => next++;
  // 16 ticks are 367.5 frames: cut 1 tick in and then 17 ticks in, the second part starts 367
  // frames after the first, where 16 ticks from the first's start round to 368.
  const first = applied(track, compEdits(track, 3841, 3857, 0, { fresh, framesInto }).edits);
  const second = applied(first, compEdits(first, 3857, 3900, 0, { fresh, framesInto }).edits);
  assert.deepEqual(second.clips.map((c) => [c.start, c.length, takeOf(c.content).index]), [[3840, 1, 2], [3841, 59, 0], [3900, 1860, 2], [7680, 960, -1]]);
});

test('a part that loops is not joined: it would repeat its stretch over the other\'s', () => {
  const track = audioTrack();
  let next = 100;
  const fresh = () => next++;
  const first = applied(track, compEdits(track, 3840, 4320, 0, { fresh, framesInto }).edits);
  const looped = { ...first, clips: first.clips.map((c) => (c.id === 5 ? { ...c, looping: { length: 480 } } : c)) };
  const after = applied(looped, compEdits(looped, 4320, 4800, 0, { fresh, framesInto }).edits);
  assert.deepEqual(after.clips.map((c) => [c.start, c.length, takeOf(c.content).index, !!c.looping]), [[3840, 480, 0, true], [4320, 480, 0, false], [4800, 960, 2, false], [7680, 960, -1, false]]);
  assert.deepEqual(compEdits(after, 3840, 4320, 2, { fresh, framesInto }).edits, [], 'a looped folder is left as it is');
});

test('a click\'s comp (the whole folder) only chooses the take; a take the folder plays, or lacks, changes nothing', () => {
  const track = audioTrack();
  const fresh = () => assert.fail('no part is made');
  const whole = compEdits(track, 3840, 5760, 1, { fresh, framesInto });
  assert.deepEqual(applied(track, whole.edits).clips[0], { ...track.clips[0], content: withTake(track.clips[0].content, 1) });
  assert.equal(applied(track, whole.edits).clips[0].content.offset, loopFrames);
  assert.deepEqual(compEdits(track, 3840, 5760, 2, { fresh, framesInto }).edits, [], 'take 3 already plays');
  assert.deepEqual(compEdits(track, 3840, 5760, 3, { fresh, framesInto }).edits, [], 'there is no take 4');
  assert.deepEqual(compEdits(track, 0, 3840, 0, { fresh, framesInto }).edits, [], 'no folder in the span');
});

test('comping a MIDI take folder keeps every note of every take, the span playing the chosen take\'s notes', () => {
  const note = (id, key, start) => ({ id, key, velocity: 90, start, length: 100 });
  const folder = {
    id: 7, start: 1920, length: 1920,
    content: { type: 'midi', notes: [note(1, 67, 100), note(2, 67, 1500)], takes: [[note(3, 60, 200), note(4, 62, 900), note(5, 64, 1800)], []], take: 1 },
  };
  const track = { id: 2, kind: 'midi', clips: [folder] };
  let next = 100;
  const { edits, playing } = compEdits(track, 2400, 3360, 0, { fresh: () => next++, framesInto: () => assert.fail('MIDI has no frames') });
  const after = applied(track, edits);
  assert.deepEqual(after.clips.map((c) => [c.start, c.length, takeOf(c.content).index]), [[1920, 480, 1], [2400, 960, 0], [3360, 480, 1]]);
  assert.deepEqual(playing, [after.clips[1].id]);
  const inSong = (c, notes) => notes.map((n) => `${n.key}@${c.start + n.start}`);
  const playedNow = after.clips.flatMap((c) => inSong(c, c.content.notes.filter((n) => n.start < c.length)));
  assert.deepEqual(playedNow, ['67@2020', '62@2820', '67@3420'], 'take 2 before and after the span, take 1 inside it');
  const every = after.clips.flatMap((c) => inSong(c, allNotes(c.content))).sort();
  assert.deepEqual(every, inSong(folder, allNotes(folder.content)).sort(), 'every note of every take kept');
  const ids = after.clips.flatMap((c) => [c.id, ...allNotes(c.content).map((n) => n.id)]);
  assert.equal(new Set(ids).size, ids.length, 'every clip and note has an id of its own');
  // Comped back, the parts join into one clip with every note where it was.
  const back = compEdits(after, 2400, 3360, 1, { fresh: () => next++, framesInto: () => assert.fail('MIDI has no frames') });
  const whole = applied(after, back.edits);
  assert.equal(whole.clips.length, 1, 'one clip again');
  const [joined] = whole.clips;
  assert.deepEqual([joined.id, joined.start, joined.length, takeOf(joined.content)], [7, 1920, 1920, { index: 1, count: 2 }]);
  const shape = (c) => ({ notes: c.content.notes.map((n) => [n.key, n.start, n.length]), takes: c.content.takes.map((t) => t.map((n) => [n.key, n.start, n.length])) });
  assert.deepEqual(shape(joined), shape(folder), 'the folder as recorded, note for note');
  assert.deepEqual(back.playing, [7]);
});

test('MIDI parts are not joined where a note of the first reaches past its end: joined, it would sound longer', () => {
  const note = (id, key, start, length) => ({ id, key, velocity: 90, start, length });
  const folder = {
    id: 7, start: 0, length: 1920,
    content: { type: 'midi', notes: [note(1, 67, 400, 200)], takes: [[note(2, 60, 1000, 100)], []], take: 1 },
  };
  const track = { id: 2, kind: 'midi', clips: [folder] };
  let next = 100;
  const fresh = () => next++;
  const framesInto = () => assert.fail('MIDI has no frames');
  const comped = applied(track, compEdits(track, 480, 1440, 0, { fresh, framesInto }).edits);
  const back = applied(comped, compEdits(comped, 480, 1440, 1, { fresh, framesInto }).edits);
  // G from 400 to 600 was cut at 480 when its part ended there; it still is.
  assert.deepEqual(back.clips.map((c) => [c.start, c.length, takeOf(c.content).index]), [[0, 480, 1], [480, 1440, 1]]);
});
