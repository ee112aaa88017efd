// Both threads: the messages between EngineClient (main thread) and QuaverProcessor (worklet).
//
// main → worklet  { type: BATCH, seq, bytes }                 structural + parameter commands
// worklet → main  { type: READY, sampleRate }                 processor constructed
//                 { type: ACK, seq, memoryBytes, errors: [{batch, node, param, code, message}] }
//                                                             every batch ≤ seq has been applied;
//                                                             memoryBytes: the worklet's wasm memory
//                 { type: NODE_ERROR, errors }                a node failed while rendering
//                 { type: FATAL, message }                    the engine trapped; it now outputs silence

export const PROCESSOR_NAME = 'quaver-engine';
export const PROTOCOL_VERSION = 2;

export const MSG = Object.freeze({
  BATCH: 'batch',
  READY: 'ready',
  ACK: 'ack',
  NODE_ERROR: 'node-error',
  FATAL: 'fatal',
});
