// Take folders' pure parts (www/src/studio/takes.js), in Node: how recorded notes become takes,
// how a folder is cut and merged. The page's own use of them is in studio.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allNotes, mergedTakes, midiLoopTakes, midiSpan, takeOf } from '../../www/src/studio/takes.js';

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
