// The notes a clip plays (www/src/studio/notes.js), in Node: what the timeline draws for a looped
// clip must be what the engine plays, which tests/session.rs and session_render.rs check on the
// Rust side with the same cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentLength, heardNotes, keyName, repeats, soundingNotes } from '../../www/src/studio/notes.js';

const PPQ = 960;
const note = (key, start, length) => ({ id: key, key, velocity: 90, start, length });

test('a looped clip plays its loop over and over from its phase, as the session lays out its repeats', () => {
  const clip = { start: 0, length: 8 * PPQ, looping: { length: 3 * PPQ, phase: PPQ }, content: { type: 'midi', notes: [] } };
  // The same repeats as tests/session.rs gives for this loop.
  assert.deepEqual(repeats(clip), [[0, PPQ, 2 * PPQ], [2 * PPQ, 0, 3 * PPQ], [5 * PPQ, 0, 3 * PPQ]]);
  assert.deepEqual(repeats({ ...clip, looping: undefined }), [[0, 0, 8 * PPQ]], 'a clip that plays once: one stretch');
  assert.equal(contentLength(clip), 3 * PPQ);
  assert.equal(contentLength({ ...clip, looping: undefined }), 8 * PPQ);
});

test('a looped clip sounds each note in every repeat, cut where its repeat ends; notes past the loop are silent', () => {
  const notes = [note(60, 0, PPQ / 2), note(62, PPQ, 2 * PPQ), note(64, 5 * PPQ, PPQ)];
  const clip = { start: 4 * PPQ, length: 5 * PPQ, looping: { length: 2 * PPQ }, content: { type: 'midi', notes } };
  assert.deepEqual(heardNotes(clip).map((n) => n.key), [60, 62], 'E starts past the loop');
  assert.deepEqual(soundingNotes(clip).map((n) => [n.key, n.start, n.length]), [
    [60, 0, PPQ / 2], [62, PPQ, PPQ], // D cut at the repeat's end
    [60, 2 * PPQ, PPQ / 2], [62, 3 * PPQ, PPQ],
    [60, 4 * PPQ, PPQ / 2], // the last repeat is a beat long: D does not start in it
  ]);
  const split = { ...clip, start: 5 * PPQ, length: 4 * PPQ, looping: { length: 2 * PPQ, phase: PPQ } };
  assert.deepEqual(soundingNotes(split).map((n) => [n.key, 5 * PPQ + n.start]), [[62, 5 * PPQ], [60, 6 * PPQ], [62, 7 * PPQ], [60, 8 * PPQ]],
    'the second half of a split goes on where the whole clip was');
  assert.equal(keyName(60), 'C4');
});
