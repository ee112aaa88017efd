// Both threads: the messages between EngineClient (main thread) and QuaverProcessor (worklet).
//
// main → worklet  { type: BATCH, seq, bytes }                 structural + parameter commands
//                 { type: LISTEN, node, frames }              send a capturing node's last `frames` samples (0: stop)
//                 { type: METERS, on }                        send meter readings while on
//                 { type: LOAD }                              send the render load since the last LOAD
// worklet → main  { type: READY, sampleRate }                 processor constructed
//                 { type: ACK, seq, memoryBytes, errors: [{batch, node, param, code, message}] }
//                                                             every batch ≤ seq has been applied;
//                                                             memoryBytes: the worklet's wasm memory
//                 { type: NODE_ERROR, errors }                a node failed while rendering
//                 { type: FATAL, message }                    the engine trapped; it now outputs silence
//                 { type: ENDED, nodes }                      these sources played out
//                 { type: TAPS, frame, captures: [{node, samples}], meters: [{node, peak, rms}] }
//                                                             about 30 times a second while anyone listens
//                 { type: LOAD, quanta, renderMs, worstMs, quantumMs, precise, histogram }
//                                                             render time of the quanta since the last
//                                                             LOAD; histogram[i]: quanta that took i % to
//                                                             i+1 % of a quantum's time (the last: more),
//                                                             kept only with a shared clock (precise)

export const PROCESSOR_NAME = 'quaver-engine';
export const PROTOCOL_VERSION = 3;

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
