// Both threads: the messages between EngineClient (main thread) and QuaverProcessor (worklet).
//
// main → worklet  { type: BATCH, seq, bytes }                 buffer pieces, then structural + parameter commands
//                                                             (about 256 KB at most: a long buffer takes several)
//                 { type: LISTEN, node, frames, shared }      send a capturing node's last `frames` samples (0: stop),
//                                                             written into `shared` when the page gave a shared lane
//                 { type: METERS, on, shared }                send meter readings while on (into `shared`, likewise)
//                 { type: LOAD }                              send the render load since the last LOAD (the first
//                                                             starts the timing, unless a shared clock did)
// worklet → main  { type: READY, sampleRate }                 processor constructed
//                 { type: ACK, seq, memoryBytes, errors: [{batch, node, param, code, message}] }
//                                                             every batch ≤ seq has been applied;
//                                                             memoryBytes: the worklet's wasm memory
//                 { type: NODE_ERROR, errors }                a node failed while rendering
//                 { type: FATAL, message }                    the engine trapped; it now outputs silence
//                 { type: ENDED, nodes }                      these sources played out
//                 { type: TAPS, frame, captures: [{node, samples}], meters }
//                                                             about 30 times a second while anyone listens
//                                                             and there is no shared lane for it; meters: a
//                                                             Uint32Array of METER_WORDS-word records
//                 { type: LOAD, quanta, renderMs, worstMs, quantumMs, precise, histogram }
//                                                             render time of the quanta since the last
//                                                             LOAD; histogram[i]: quanta that took i % to
//                                                             i+1 % of a quantum's time (the last: more),
//                                                             kept only with a shared clock (precise)

export const PROCESSOR_NAME = 'quaver-engine';
export const PROTOCOL_VERSION = 4;

export const MSG = Object.freeze({
  BATCH: 'batch',
  READY: 'ready',
  ACK: 'ack',
  NODE_ERROR: 'node-error',
  FATAL: 'fatal',
  LISTEN: 'listen',
  METERS: 'meters',
  TAPS: 'taps',
  ENDED: 'ended',
  LOAD: 'load',
});

/** Quanta between two TAPS messages (about 32 ms at 48 kHz). */
export const TAP_INTERVAL_QUANTA = 12;

/** Buckets of the render-load histogram: one per percent of a quantum's time, 0–199 %, then more. */
export const LOAD_BUCKETS = 201;

/**
 * The render load at rank `p` (0–1) of a load histogram, as a fraction of a quantum's time: the upper
 * edge of its bucket, so a reading never understates. Null for an empty histogram.
 */
export function loadPercentile(histogram, p) {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(p * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i += 1) {
    seen += histogram[i];
    if (seen >= rank) return (i + 1) / 100;
  }
  return null;
}

// Lane 3 in shared memory, on a cross-origin isolated page: the worklet writes readings and
// windows into a SharedArrayBuffer and the page reads them when it wants them; no message is
// posted and nothing is allocated on the audio thread for them. Each lane is an Int32 header
// and then 32-bit words. The version is odd while the worklet writes, so a reader that sees it
// odd, or changed by the time it has copied, copies again (a seqlock); READ is the version the
// page last took, so the worklet knows what was never read.
const VERSION = 0;
const READ = 1;
const COUNT = 2;
const HEADER_BYTES = 16;

/** A lane for `words` 32-bit words, to hand to the worklet (needs SharedArrayBuffer). */
export function sharedLaneBuffer(words) {
  return new SharedArrayBuffer(HEADER_BYTES + 4 * words);
}

/** Views on a lane's buffer; `seen` is the version its reader last took. */
export function sharedLane(buffer) {
  return { header: new Int32Array(buffer, 0, HEADER_BYTES / 4), words: new Uint32Array(buffer, HEADER_BYTES), seen: 0 };
}

/** Whether the page took the lane's last write. */
export function laneRead(lane) {
  return Atomics.load(lane.header, READ) === Atomics.load(lane.header, VERSION);
}

/** The words of the lane's last write, for a writer that merges into what was not read. */
export function laneWords(lane) {
  return lane.words.subarray(0, Atomics.load(lane.header, COUNT));
}

/** Worklet: publishes `source` (a Uint32Array, so floats are copied bit for bit). */
export function writeLane(lane, source) {
  Atomics.add(lane.header, VERSION, 1);
  lane.words.set(source);
  Atomics.store(lane.header, COUNT, source.length);
  Atomics.add(lane.header, VERSION, 1);
}

/**
 * Page: copies the lane's newest write into `into` (a Uint32Array at least as long) and
 * answers how many words it copied; -1 when nothing new was written (or the worklet kept
 * writing through a few tries: the next call gets it).
 */
export function readLane(lane, into) {
  for (let tries = 0; tries < 4; tries += 1) {
    const version = Atomics.load(lane.header, VERSION);
    if (version === lane.seen) return -1;
    if (version & 1) continue;
    const count = Math.min(Atomics.load(lane.header, COUNT), into.length);
    into.set(lane.words.subarray(0, count));
    if (Atomics.load(lane.header, VERSION) !== version) continue;
    lane.seen = version;
    Atomics.store(lane.header, READ, version);
    return count;
  }
  return -1;
}
