// Main thread: the Analysis tab — what the selected clip holds, drawn. An audio clip gets its
// waveform overview, its spectrogram on a log-frequency scale with the pitch it sings, its
// onsets and beat grid over it, the short-term loudness below, and the figures beside: tempo, key, loudness (integrated,
// short-term and momentary maxima, range, true peak) and its partials, strongest first. A MIDI
// clip gets its key from its notes and their pitch-class weights; a drum clip, its hits per
// drum. All of it is the engine's own analysis (wasm), computed once per clip region and kept.
import { analyzeClip, keyOfNotes } from '../../../pkg/quaver.js';
import { peaksOf } from './audio.js';
import { fitCanvas } from './timeline.js';
import { el } from './dom.js';
import { PITCH_CLASSES, contentLength, heardNotes, keyName } from './notes.js';

const LOW_HZ = 30;
const FLOOR_DB = -100;
const LUFS_FLOOR = -60;

const fixed = (v, digits = 1, unit = '') => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(digits)}${unit}`);

/** "A4 +3¢": the nearest equal-tempered note to `hz` and how far off it is. */
export function noteOf(hz) {
  const midi = 69 + 12 * Math.log2(hz / 440);
  const nearest = Math.round(midi);
  const cents = Math.round((midi - nearest) * 100);
  return `${keyName(nearest)} ${cents >= 0 ? '+' : '−'}${Math.abs(cents)}¢`;
}

/** A dark-to-bright colour for a level between 0 and 1. */
function heat(share) {
  const s = Math.max(0, Math.min(1, share));
  return [Math.round(255 * Math.min(1, s * 1.6)), Math.round(255 * Math.max(0, s * 1.4 - 0.35)), Math.round(255 * Math.max(0, 0.45 - s * 0.5 + Math.max(0, s - 0.8) * 2.5))];
}

export class AnalysisView {
  constructor(root, app) {
    this.app = app;
    this.root = root;
    this.canvas = el('canvas', { className: 'analysis-canvas' });
    this.canvas.setAttribute('aria-label', 'Waveform; spectrogram with pitch, onsets and beats; loudness below');
    this.facts = el('div', { className: 'analysis-facts' });
    this.facts.setAttribute('aria-live', 'polite');
    root.replaceChildren(this.canvas, this.facts);
    /** Analyses by clip region, so selecting a clip again costs nothing. */
    this.cache = new Map();
    this.current = null;
  }

  /** The selected clip's region: its sample's channels from its offset for its length. */
  region() {
    const { app } = this;
    const track = app.project.tracks.find((t) => t.id === app.selection.track);
    const clip = track?.clips.find((c) => c.id === app.selection.clip);
    if (!clip) return null;
    if (clip.content.type === 'midi') {
      // A drum kit's notes name drums, not pitches: they are counted per drum, and have no key.
      const names = app.keyNames(track);
      return { kind: 'midi', clip, names, key: `midi:${clip.id}:${names ? 'kit' : 'pitched'}:${JSON.stringify(heardNotes(clip).map((n) => [n.key, n.length]))}` };
    }
    const sample = app.samples.get(clip.content.asset);
    if (!sample) return { kind: 'missing', clip };
    // A looped clip: the stretch it repeats.
    const seconds = app.tempo.secondsAt(clip.start + contentLength(clip)) - app.tempo.secondsAt(clip.start);
    const from = Math.min(clip.content.offset, sample.channels[0].length);
    const to = Math.min(sample.channels[0].length, from + Math.round(seconds * sample.sampleRate));
    return { kind: 'audio', clip, sample, from, to, key: `audio:${clip.content.asset}:${from}:${to}` };
  }

  /** Analyses what is selected (once), then draws it. */
  render() {
    const region = this.region();
    if (!region) {
      this.current = null;
      this.facts.replaceChildren(el('p', { className: 'dim', textContent: 'Select a clip on the timeline to see its analysis: tempo, key, loudness, partials, pitch and spectrogram.' }));
      this.draw();
      return;
    }
    if (region.kind === 'missing') {
      this.current = null;
      this.facts.replaceChildren(el('p', { textContent: `The sample ${region.clip.content.asset} is missing: import it again to analyse this clip.` }));
      this.draw();
      return;
    }
    let result = this.cache.get(region.key);
    if (!result) {
      if (region.kind === 'audio') result = this.analyseAudio(region);
      else result = region.names ? this.countHits(region.clip, region.names) : this.analyseNotes(region.clip);
      this.cache.set(region.key, result);
    }
    this.current = { region, result };
    this.showFacts();
    this.draw();
  }

  analyseAudio({ sample, from, to }) {
    const channels = sample.channels.map((c) => c.subarray(from, to));
    const started = performance.now();
    const result = analyzeClip(channels, sample.sampleRate);
    result.ms = performance.now() - started;
    result.peaks = peaksOf(channels);
    return result;
  }

  analyseNotes(clip) {
    const notes = heardNotes(clip);
    const key = keyOfNotes(Uint8Array.from(notes.map((n) => n.key)), Float64Array.from(notes.map((n) => n.length)));
    return { midi: true, key, notes: notes.length, low: Math.min(...notes.map((n) => n.key)), high: Math.max(...notes.map((n) => n.key)) };
  }

  /** A drum clip's hits per drum, in key order (drums the kit does not have counted apart). */
  countHits(clip, names) {
    const counts = new Map();
    let unnamed = 0;
    for (const n of heardNotes(clip)) {
      if (names.has(n.key)) counts.set(n.key, (counts.get(n.key) ?? 0) + 1);
      else unnamed += 1;
    }
    const drums = [...counts].sort(([a], [b]) => a - b).map(([key, hits]) => ({ name: names.get(key), hits }));
    return { midi: true, drums, hits: drums.reduce((sum, d) => sum + d.hits, 0), unnamed };
  }

  showFacts() {
    const { result, region } = this.current;
    const rows = [];
    const fact = (label, value, title = '') => rows.push(el('div', { className: 'fact', title }, el('span', { className: 'dim', textContent: label }), el('strong', { textContent: value })));
    if (result.drums) {
      // The busiest drum, when one drum has more hits than every other.
      const [first, second] = [...result.drums].sort((a, b) => b.hits - a.hits);
      fact('Hits', result.hits ? `${result.hits} on ${result.drums.length} drum${result.drums.length === 1 ? '' : 's'}` : 'none');
      fact('Busiest', first && first.hits > (second?.hits ?? 0) ? `${first.name} (${first.hits})` : '—');
      if (result.unnamed) fact('Silent', `${result.unnamed} on keys with no drum`, 'The kit plays nothing on these keys');
      fact('Key', 'none (a drum kit)', 'Drum notes choose drums, not pitches');
      fact('Tempo', `${this.app.project.tempo_bpm} BPM (the song's)`);
      this.facts.replaceChildren(el('h3', { textContent: 'Drum clip' }), ...rows);
      return;
    }
    if (result.midi) {
      fact('Key', result.key ? `${result.key.name} (${result.key.confidence.toFixed(2)})` : '—', 'From the notes\' durations per pitch class, matched against the major and minor key profiles');
      fact('Notes', result.notes ? `${result.notes}, ${keyName(result.low)}–${keyName(result.high)}` : 'none');
      fact('Tempo', `${this.app.project.tempo_bpm} BPM (the song's)`);
      this.facts.replaceChildren(el('h3', { textContent: 'MIDI clip' }), ...rows);
      return;
    }
    const l = result.loudness;
    fact('Tempo', result.tempo ? `${result.tempo.bpm.toFixed(1)} BPM (${result.tempo.confidence.toFixed(2)})` : 'no steady beat', 'Confidence: how strongly the onsets repeat at that period, 0–1');
    fact('Key', result.key ? `${result.key.name} (${result.key.confidence.toFixed(2)})` : '—', 'Chroma of the spectral peaks matched against the major and minor key profiles');
    fact('Integrated', fixed(l?.integrated, 1, ' LUFS'), 'EBU R128 integrated loudness (gated)');
    fact('Short-term max', fixed(l?.shortTermMax, 1, ' LUFS'));
    fact('Momentary max', fixed(l?.momentaryMax, 1, ' LUFS'));
    fact('Loudness range', fixed(l?.range, 1, ' LU'));
    fact('True peak', fixed(l?.truePeak, 1, ' dBTP'));
    const partials = el('table', { className: 'partials' },
      el('thead', {}, el('tr', {}, ...['Hz', 'Note', 'dB'].map((h) => el('th', { textContent: h })))),
      el('tbody', {}, ...result.harmonics.slice(0, 8).map((p) => el('tr', {},
        el('td', { textContent: p.frequency.toFixed(1) }), el('td', { textContent: noteOf(p.frequency) }), el('td', { textContent: p.level.toFixed(1) })))));
    const seconds = (region.to - region.from) / region.sample.sampleRate;
    this.facts.replaceChildren(
      el('h3', { textContent: `${region.clip.content.asset} · ${seconds.toFixed(2)} s` }),
      ...rows,
      el('h4', { textContent: 'Partials, strongest first' }),
      partials,
      el('p', { className: 'dim', textContent: `Analysed in ${Math.round(result.ms)} ms` }),
    );
  }

  draw() {
    const parent = this.canvas.parentElement;
    const width = Math.max(100, parent.clientWidth - this.facts.offsetWidth - 16);
    const height = Math.max(80, parent.clientHeight - 8);
    const g = fitCanvas(this.canvas, width, height);
    g.fillStyle = '#0d1117';
    g.fillRect(0, 0, width, height);
    const result = this.current?.result;
    if (!result) return;
    if (result.drums) return this.drawHits(g, width, height, result.drums);
    if (result.midi) return this.drawClasses(g, width, height, result.key?.classes);
    const s = result.spectrogram;
    const loudnessHeight = Math.round(height * 0.22);
    // The waveform overview on top, the spectrogram under it, the loudness at the bottom.
    const waveHeight = Math.round(height * 0.16);
    this.drawWaveform(g, width, waveHeight, result.peaks);
    const specTop = waveHeight + 4;
    const top = height - loudnessHeight - 4;
    const nyquist = s.sampleRate / 2;
    const yOf = (hz) => top - (Math.log(Math.max(hz, LOW_HZ) / LOW_HZ) / Math.log(nyquist / LOW_HZ)) * (top - specTop);
    // The spectrogram: one column per frame, rows by log frequency.
    const image = g.createImageData(Math.max(1, Math.round(width)), Math.max(1, Math.round(top - specTop)));
    const peak = s.decibels.reduce((m, v) => Math.max(m, v), FLOOR_DB);
    for (let x = 0; x < image.width; x += 1) {
      const frame = Math.min(s.frames - 1, Math.floor((x / image.width) * s.frames));
      for (let y = 0; y < image.height; y += 1) {
        const hz = LOW_HZ * (nyquist / LOW_HZ) ** ((image.height - y) / image.height);
        const bin = Math.min(s.bins - 1, Math.round((hz / nyquist) * (s.bins - 1)));
        const db = s.decibels[frame * s.bins + bin];
        const [r, gr, b] = heat((db - (peak - 90)) / 90);
        const at = (y * image.width + x) * 4;
        image.data[at] = r;
        image.data[at + 1] = gr;
        image.data[at + 2] = b;
        image.data[at + 3] = 255;
      }
    }
    g.putImageData(image, 0, specTop);
    const seconds = result.seconds || 1;
    const xOf = (t) => (t / seconds) * width;
    // Beats as faint lines, onsets as ticks along the top.
    g.strokeStyle = 'rgba(255,255,255,0.28)';
    g.lineWidth = 1;
    for (const beat of result.tempo?.beats ?? []) {
      g.beginPath();
      g.moveTo(Math.round(xOf(beat)) + 0.5, 0);
      g.lineTo(Math.round(xOf(beat)) + 0.5, top);
      g.stroke();
    }
    g.fillStyle = '#f6e05e';
    for (const onset of result.onsets) g.fillRect(Math.round(xOf(onset)), specTop, 2, 6);
    // Pitch: a line through the voiced frames.
    g.strokeStyle = '#4fd1c5';
    g.lineWidth = 2;
    g.beginPath();
    let drawing = false;
    for (let i = 0; i < result.pitch.times.length; i += 1) {
      const hz = result.pitch.hz[i];
      if (!Number.isFinite(hz)) {
        drawing = false;
        continue;
      }
      const x = xOf(result.pitch.times[i]);
      const y = yOf(hz);
      if (drawing) g.lineTo(x, y);
      else g.moveTo(x, y);
      drawing = true;
    }
    g.stroke();
    // Short-term loudness underneath, with the integrated level as a dashed line.
    const lTop = top + 4;
    g.fillStyle = '#161b22';
    g.fillRect(0, lTop, width, loudnessHeight);
    const l = result.loudness;
    if (l) {
      const yLufs = (v) => lTop + loudnessHeight - ((Math.max(LUFS_FLOOR, v) - LUFS_FLOOR) / -LUFS_FLOOR) * loudnessHeight;
      g.strokeStyle = '#90cdf4';
      g.lineWidth = 1.5;
      g.beginPath();
      l.shortTerm.forEach((v, i) => {
        const x = xOf((i + 1) * 0.1);
        if (i === 0) g.moveTo(x, yLufs(v));
        else g.lineTo(x, yLufs(v));
      });
      g.stroke();
      if (l.integrated !== null) {
        g.setLineDash([4, 4]);
        g.strokeStyle = '#fbd38d';
        g.beginPath();
        g.moveTo(0, yLufs(l.integrated));
        g.lineTo(width, yLufs(l.integrated));
        g.stroke();
        g.setLineDash([]);
      }
    }
    g.fillStyle = 'rgba(255,255,255,0.7)';
    g.font = '11px system-ui, sans-serif';
    for (const hz of [100, 1000, 10000].filter((f) => f < nyquist)) g.fillText(hz >= 1000 ? `${hz / 1000} kHz` : `${hz} Hz`, 4, Math.max(12, yOf(hz) - 2));
    g.fillText('short-term LUFS', 4, lTop + 12);
  }

  /** The clip's waveform: the lowest and highest sample under each pixel column. */
  drawWaveform(g, width, height, peaks) {
    g.fillStyle = '#161b22';
    g.fillRect(0, 0, width, height);
    const columns = peaks.length / 2;
    const mid = height / 2;
    g.fillStyle = '#68d391';
    for (let x = 0; x < width; x += 1) {
      const from = Math.floor((x / width) * columns);
      const to = Math.max(from + 1, Math.floor(((x + 1) / width) * columns));
      let low = 0;
      let high = 0;
      for (let c = from; c < Math.min(to, columns); c += 1) {
        low = Math.min(low, peaks[2 * c]);
        high = Math.max(high, peaks[2 * c + 1]);
      }
      const y0 = mid - Math.min(1, high) * mid;
      const y1 = mid - Math.max(-1, low) * mid;
      g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
  }

  /** A drum clip's hits per drum as bars, each named. */
  drawHits(g, width, height, drums) {
    g.font = '12px system-ui, sans-serif';
    g.fillStyle = '#9aa0a6';
    if (drums.length === 0) {
      g.fillText('No hits in this clip yet: draw them in the piano roll, or press R and play them in.', 12, 24);
      return;
    }
    g.fillText('Hits per drum', 12, 18);
    const most = Math.max(...drums.map((d) => d.hits));
    const bar = width / Math.max(drums.length, 6);
    drums.forEach((d, i) => {
      const h = (d.hits / most) * (height - 48);
      g.fillStyle = '#4fd1c5';
      g.fillRect(i * bar + 4, height - 18 - h, bar - 8, h);
      g.fillStyle = '#e2e8f0';
      g.textAlign = 'center';
      g.fillText(`${d.name} · ${d.hits}`, i * bar + bar / 2, height - 4, bar - 4);
      g.textAlign = 'start';
    });
  }

  /** A MIDI clip's twelve pitch-class weights as bars. */
  drawClasses(g, width, height, classes) {
    g.font = '12px system-ui, sans-serif';
    g.fillStyle = '#9aa0a6';
    if (!classes) {
      g.fillText('No notes in this clip yet: draw them in the piano roll, or press R and play them in.', 12, 24);
      return;
    }
    g.fillText('Pitch classes, each note weighted by its length (what the key is found from)', 12, 18);
    const most = Math.max(...classes, 1e-9);
    const bar = width / 12;
    classes.forEach((w, i) => {
      const h = (w / most) * (height - 48);
      g.fillStyle = '#4fd1c5';
      g.fillRect(i * bar + 4, height - 18 - h, bar - 8, h);
      g.fillStyle = '#e2e8f0';
      g.fillText(PITCH_CLASSES[i], i * bar + bar / 2 - 6, height - 4);
    });
  }
}
