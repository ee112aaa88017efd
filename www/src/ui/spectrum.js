// Main thread: draws what the engine's analyser node reports — the spectrum on a log-frequency
// axis with a dB grid, and an oscilloscope triggered on rising zero crossings.

export function startSpectrum(canvas, analyser, sampleRate) {
  const ctx = canvas.getContext('2d');
  const nyquist = sampleRate / 2;
  const [lowHz, floorDb, ceilDb] = [20, -110, 0];
  let running = true;

  function draw() {
    if (!running) return;
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    const { width, height } = canvas;
    const yOf = (db) => height * (1 - (Math.max(floorDb, Math.min(ceilDb, db)) - floorDb) / (ceilDb - floorDb));
    ctx.fillStyle = '#0d0f12';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = '#2c3038';
    const lines = [50, 100, 200, 500, 1000, 2000, 5000, 10000].map((hz) => ({ hz, x: (Math.log(hz / lowHz) / Math.log(nyquist / lowHz)) * width }));
    const levels = [-20, -40, -60, -80, -100].map((db) => ({ db, y: yOf(db) }));
    ctx.beginPath();
    for (const { x } of lines) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x, height);
    }
    for (const { y } of levels) {
      ctx.moveTo(0, y);
      ctx.lineTo(width, y);
    }
    ctx.stroke();
    ctx.strokeStyle = '#f0b429';
    ctx.beginPath();
    for (let x = 0; x < width; x += 1) {
      // Each pixel shows the loudest bin it covers, so narrow partials never fall between pixels.
      const from = Math.round(((lowHz * (nyquist / lowHz) ** (x / width)) / nyquist) * bins.length);
      const to = Math.round(((lowHz * (nyquist / lowHz) ** ((x + 1) / width)) / nyquist) * bins.length);
      let db = -Infinity;
      for (let b = from; b <= Math.min(to, bins.length - 1); b += 1) db = Math.max(db, bins[b]);
      if (x === 0) ctx.moveTo(x, yOf(db));
      else ctx.lineTo(x, yOf(db));
    }
    ctx.stroke();
    // The labels last, each on a patch of background, so the curve never hides them.
    ctx.font = '11px system-ui';
    const label = (text, x, y) => {
      ctx.fillStyle = '#0d0f12';
      ctx.fillRect(x - 2, y - 10, ctx.measureText(text).width + 4, 13);
      ctx.fillStyle = '#8a9099';
      ctx.fillText(text, x, y);
    };
    for (const { hz, x } of lines) label(hz >= 1000 ? `${hz / 1000}k` : `${hz}`, x + 3, height - 4);
    for (const { db, y } of levels) label(`${db} dB`, 4, y - 3);
    requestAnimationFrame(draw);
  }
  requestAnimationFrame(draw);
  return () => { running = false; };
}

export function startScope(canvas, analyser) {
  const ctx = canvas.getContext('2d');
  const samples = new Float32Array(4096);
  let running = true;

  function draw() {
    if (!running) return;
    analyser.getFloatTimeDomainData(samples);
    const { width, height } = canvas;
    ctx.fillStyle = '#0d0f12';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = '#2c3038';
    ctx.beginPath();
    ctx.moveTo(0, height / 2);
    ctx.lineTo(width, height / 2);
    ctx.stroke();
    // Start at the first rising zero crossing, so a steady tone stands still.
    let start = 0;
    for (let i = 1; i < samples.length - width; i += 1) {
      if (samples[i - 1] < 0 && samples[i] >= 0) { start = i; break; }
    }
    // Quiet signals are scaled up (at most 18×) so their shape stays visible.
    let peak = 0;
    for (let x = 0; x < width && start + x < samples.length; x += 1) peak = Math.max(peak, Math.abs(samples[start + x]));
    const scale = 0.9 / Math.max(peak, 0.05);
    ctx.fillStyle = '#6b717a';
    ctx.font = '11px system-ui';
    ctx.fillText(`×${scale.toFixed(1)}`, 4, 12);
    ctx.strokeStyle = '#4fd1c5';
    ctx.beginPath();
    for (let x = 0; x < width && start + x < samples.length; x += 1) {
      const y = height / 2 - samples[start + x] * scale * (height / 2);
      if (x === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    requestAnimationFrame(draw);
  }
  requestAnimationFrame(draw);
  return () => { running = false; };
}
