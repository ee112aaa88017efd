// Main thread: a take from the microphone. The input goes through its own small worklet (the
// recorder), which stamps every chunk with the context frame it arrived at; the page turns that
// into a place on the song by subtracting the latencies the browser reports (see `placeTake`).

const recorderModules = new WeakSet();

/** The microphone, opened for one take (raw: no echo cancelling, gain control or noise gate). */
export class Microphone {
  static async open(context, recorderUrl) {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error('this browser gives no microphone here (it needs a secure page: https or localhost)');
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    if (!recorderModules.has(context)) {
      await context.audioWorklet.addModule(recorderUrl);
      recorderModules.add(context);
    }
    return new Microphone(context, stream);
  }

  constructor(context, stream) {
    this.context = context;
    this.stream = stream;
    const [track] = stream.getAudioTracks();
    const settings = track?.getSettings?.() ?? {};
    this.label = track?.label || 'microphone';
    /** Seconds from the sound at the microphone to its arrival in the graph, as the browser reports it. */
    this.inputLatency = Number.isFinite(settings.latency) ? settings.latency : 0;
    this.channels = Math.min(2, Math.max(1, settings.channelCount ?? 1));
    this.source = context.createMediaStreamSource(stream);
    this.recorder = new AudioWorkletNode(context, 'quaver-recorder', {
      numberOfInputs: 1, numberOfOutputs: 0, processorOptions: { channels: this.channels },
    });
    this.chunks = [];
    this.stopped = null;
    this.recorder.port.onmessage = ({ data }) => {
      if (data.type === 'chunk') {
        this.chunks.push({ frame: data.frame, channels: data.channels.map((c) => c.slice(0, data.frames)) });
        this.recorder.port.postMessage({ type: 'spare', channels: data.channels }, data.channels.map((c) => c.buffer));
      } else if (data.type === 'stopped') {
        this.stopped?.();
      }
    };
    this.source.connect(this.recorder);
  }

  start() {
    this.recorder.port.postMessage({ type: 'start' });
  }

  /**
   * Ends the take and lets the microphone go. Returns `{ startFrame, sampleRate, channels,
   * inputLatency }`: the context frame the first sample arrived at, and the samples.
   */
  async stop() {
    const done = new Promise((resolve) => { this.stopped = resolve; });
    this.recorder.port.postMessage({ type: 'stop' });
    await done;
    this.close();
    // Chunks sit at the frames they arrived at; a gap between two (no input for a while) is
    // silence, so what follows it stays in time.
    const startFrame = this.chunks[0]?.frame ?? 0;
    const last = this.chunks.at(-1);
    const frames = last ? last.frame + last.channels[0].length - startFrame : 0;
    const channels = Array.from({ length: this.channels }, () => new Float32Array(frames));
    for (const chunk of this.chunks) {
      chunk.channels.forEach((samples, c) => channels[c].set(samples, chunk.frame - startFrame));
    }
    return { startFrame, sampleRate: this.context.sampleRate, channels, inputLatency: this.inputLatency };
  }

  close() {
    this.source.disconnect();
    this.recorder.port.onmessage = null;
    for (const track of this.stream.getTracks()) track.stop();
  }
}

/** The song frame the microphone's frame 0 was played against (see `placeTake`). */
export function takeFirstFrame({ startFrame, songStartFrame, songFrameAtStart, roundTripFrames }) {
  return songFrameAtStart + (startFrame - songStartFrame) - roundTripFrames;
}

/**
 * Where a take goes on the song. The sound at the microphone when the musician heard song frame
 * S arrived at context frame `songStartFrame + (S - songFrameAtStart) + roundTrip`, where the
 * round trip is the mix's compensated latency, the output latency and the input latency; so the
 * take's frame 0 was played against song frame `first` (see `takeFirstFrame`). Returns the tick
 * the clip starts on (the first tick at or after `first`, and not before `fromTick`, where the
 * song started: what came in during a count-in is not kept) and how many of the take's frames
 * come before it (the clip's `offset`), or null if none of it lands on the song.
 */
export function placeTake({ first, frames, frameAt, fromTick = 0 }) {
  let tick = 0;
  if (first > 0) {
    // frameAt is monotonic: find the first tick whose frame is at or after `first`.
    let lo = 0;
    let hi = 1;
    while (frameAt(hi) < first) hi *= 2;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (frameAt(mid) < first) lo = mid + 1;
      else hi = mid;
    }
    tick = lo;
  }
  tick = Math.max(tick, fromTick);
  const offset = frameAt(tick) - first;
  if (offset >= frames) return null;
  return { tick, offset };
}

/**
 * A take recorded while the transport looped, cut into one take per pass. The engine plays
 * song frames A..B (the loop region) again and again, so the microphone's frame i was played
 * against unwrapped song frame `first + i` (`first` from `takeFirstFrame`), pass k covering
 * A + kN .. A + (k + 1)N with N = B − A. Returns null when the take never reached B (no pass
 * ended: an ordinary take). Otherwise `{ channels, takes, playing }`: the recording re-laid so
 * that frame 0 is song frame A of the first pass (what came before the song started, or before
 * the recording did, is silence; what came before A is left out), the start of each pass in it
 * (0, N, 2N, …) and the pass that plays: the last one played to its end.
 */
export function loopTakes({ channels, first, songStartFrame, loopStartFrame, loopEndFrame }) {
  const loop = loopEndFrame - loopStartFrame;
  const frames = channels[0].length;
  const end = first + frames;
  if (loop <= 0 || songStartFrame >= loopEndFrame || end <= loopEndFrame) return null;
  const length = end - loopStartFrame;
  // Song frames before the song started were never heard: the recording counts from there.
  const heardFrom = Math.max(first, songStartFrame);
  const relaid = channels.map((samples) => {
    const out = new Float32Array(length);
    const from = Math.max(0, heardFrom - loopStartFrame);
    out.set(samples.subarray(from + loopStartFrame - first), from);
    return out;
  });
  const passes = Math.ceil(length / loop);
  const takes = Array.from({ length: passes }, (_, k) => k * loop);
  const complete = Math.floor(length / loop);
  return { channels: relaid, takes, playing: Math.max(0, complete - 1) };
}
