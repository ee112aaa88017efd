// Main thread: automation lanes as the page shows them. A lane belongs to a track (or a bus, or
// the master) and targets its
// fader (dB), its pan, or any parameter of its instrument or inserts; what each can automate and
// over which range comes from the engine's descriptions, so a new device kind is automatable
// without code here.

export const GAIN_RANGE = { min: -60, max: 6, log: false };
/** The tempo row's range (the project takes 20–999 BPM; typed in, those draw at the edge). */
export const TEMPO_RANGE = { min: 40, max: 240, log: false };
const PAN_RANGE = { min: -1, max: 1, log: false };

/** A lane's target as a string, for menus and lookups. */
export function targetKey(target) {
  return target.type === 'param' ? `${target.device}:${target.param}` : target.type;
}

export function targetOfKey(key) {
  if (key === 'gain' || key === 'pan') return { type: key };
  const [device, param] = key.split(':');
  return { type: 'param', device: Number(device), param };
}

/**
 * Every target the lanes of a track, a bus or the master (which has no devices) can have:
 * `{ target, label, range, initial }`.
 */
export function laneTargets(app, track) {
  const targets = [
    { target: { type: 'gain' }, label: 'Volume (dB)', range: GAIN_RANGE, initial: track.strip.gain_db },
    { target: { type: 'pan' }, label: 'Pan', range: PAN_RANGE, initial: track.strip.pan },
  ];
  const devices = [...(track.instrument ? [track.instrument] : []), ...track.inserts];
  for (const device of devices) {
    const kind = app.engine.kinds.get(device.kind);
    if (!kind) continue;
    for (const param of kind.params) {
      const range = param.control ?? { min: param.minValue, max: param.maxValue, log: false };
      targets.push({
        target: { type: 'param', device: device.id, param: param.name },
        label: `${device.kind} · ${param.name}`,
        range,
        initial: device.params[param.name] ?? param.defaultValue,
      });
    }
  }
  return targets;
}

export function laneTarget(app, track, key) {
  return laneTargets(app, track).find((t) => targetKey(t.target) === key) ?? null;
}

export function laneOf(track, key) {
  return track.automation.find((l) => targetKey(l.target) === key) ?? null;
}

/** Position 0…1 of `value` in `range` (log ranges by ratio), and back. */
export function toUnit(value, { min, max, log }) {
  const share = log && min > 0 ? Math.log(value / min) / Math.log(max / min) : (value - min) / (max - min);
  return Math.max(0, Math.min(1, share));
}

export function fromUnit(share, { min, max, log }) {
  const s = Math.max(0, Math.min(1, share));
  return log && min > 0 ? min * (max / min) ** s : min + s * (max - min);
}

/** The lane's value at `tick`: straight lines between points (a tempo step holds), the ends held. */
export function valueAt(points, tick) {
  if (points.length === 0) return null;
  if (tick <= points[0].tick) return points[0].value;
  for (let i = 1; i < points.length; i += 1) {
    const b = points[i];
    if (tick < b.tick || (tick === b.tick && b.ramp !== false)) {
      const a = points[i - 1];
      if (b.ramp === false) return a.value;
      return a.value + ((tick - a.tick) / (b.tick - a.tick)) * (b.value - a.value);
    }
  }
  return points[points.length - 1].value;
}

export function formatValue(value, key) {
  if (key === 'gain') return `${value.toFixed(1)} dB`;
  if (key === 'tempo') return `${value.toFixed(1)} BPM`;
  if (key === 'pan') return value === 0 ? 'C' : `${Math.round(Math.abs(value) * 100)}${value < 0 ? 'L' : 'R'}`;
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
