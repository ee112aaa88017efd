// Main thread: a clock the audio thread can read. AudioWorkletGlobalScope has no
// `performance.now()` (only `Date.now()`, in whole milliseconds), so a Worker keeps writing its
// own `performance.now()` into shared memory, waking every `tickMs`; the engine's worklet reads
// it before and after each quantum to time its render. Needs cross-origin isolation.
import { QuaverError } from './EngineClient.js';

// Float64 slots of the shared buffer, then one Int32 the Worker sleeps on (1: stop).
const NOW = 0;
const TICKS = 1;
const SLOTS = 2;

const WORKER_SOURCE = `onmessage = ({ data: { buffer, tickMs } }) => {
  const clock = new Float64Array(buffer, 0, ${SLOTS});
  const stop = new Int32Array(buffer, ${SLOTS * 8}, 1);
  while (Atomics.load(stop, 0) === 0) {
    clock[${NOW}] = performance.now();
    clock[${TICKS}] += 1;
    Atomics.wait(stop, 0, 0, tickMs);
  }
  close();
};`;

/**
 * Starts the clock. Returns `{ buffer, resolutionMs(), stop() }`: pass `buffer` as the
 * `clock` option of `EngineClient.create`; `resolutionMs()` is the Worker's mean interval
 * between two writes so far (the timing's granularity).
 */
export function startSharedClock({ tickMs = 0.02 } = {}) {
  if (!globalThis.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') {
    throw new QuaverError('a shared clock needs a cross-origin isolated page (COOP and COEP headers)', 'NotIsolated');
  }
  const buffer = new SharedArrayBuffer(SLOTS * 8 + 8);
  const clock = new Float64Array(buffer, 0, SLOTS);
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.postMessage({ buffer, tickMs });
  const startedAt = performance.now();
  return {
    buffer,
    resolutionMs: () => (clock[TICKS] > 1 ? (performance.now() - startedAt) / clock[TICKS] : Infinity),
    stop() {
      const stop = new Int32Array(buffer, SLOTS * 8, 1);
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
    },
  };
}
