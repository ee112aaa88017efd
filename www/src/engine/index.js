// Main thread: what the npm package exports.
export { EngineClient, QuaverError, QuaverNode, QuaverParam, compileEngine, supportsSimd } from './EngineClient.js';
export { PROCESSOR_NAME, PROTOCOL_VERSION } from './protocol.js';
export { startSharedClock } from './clock.js';
// The forward FFT of real signals, in the engine's wasm: usable once an engine is created.
export { RealFft } from '../../../pkg/quaver.js';
