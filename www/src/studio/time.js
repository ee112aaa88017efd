// Main thread: song time as the project counts it (ticks, PPQ per quarter note) and as a
// musician reads it (bars.beats.ticks, minutes:seconds).
export const PPQ = 960;

/** Ticks in one beat (the signature's denominator note) and one bar. */
export function beatTicks(signature) {
  return (PPQ * 4) / signature.denominator;
}

export function barTicks(signature) {
  return beatTicks(signature) * signature.numerator;
}

/** "3.2.480": bar and beat counted from 1, then ticks into the beat. */
export function formatBarsBeats(tick, signature) {
  const bar = Math.floor(tick / barTicks(signature));
  const inBar = tick - bar * barTicks(signature);
  const beat = Math.floor(inBar / beatTicks(signature));
  const ticks = Math.floor(inBar - beat * beatTicks(signature));
  return `${bar + 1}.${beat + 1}.${String(ticks).padStart(3, '0')}`;
}

export function formatSeconds(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${rest.toFixed(3).padStart(6, '0')}`;
}

/** The grid choices: name → ticks (0: no snapping). */
export const GRIDS = { bar: -1, beat: -2, '1/8': PPQ / 2, '1/16': PPQ / 4, '1/32': PPQ / 8, '1/8T': PPQ / 3, off: 0 };

export function gridTicks(name, signature) {
  const value = GRIDS[name] ?? 0;
  if (value === -1) return barTicks(signature);
  if (value === -2) return beatTicks(signature);
  return value;
}

export function snap(tick, grid) {
  return grid > 0 ? Math.round(tick / grid) * grid : Math.round(tick);
}

export function snapDown(tick, grid) {
  return grid > 0 ? Math.floor(tick / grid) * grid : Math.floor(tick);
}

/** The last tick anything in the project sounds. */
export function songEnd(project) {
  let end = 0;
  for (const track of project.tracks) for (const clip of track.clips) end = Math.max(end, clip.start + clip.length);
  return end;
}
