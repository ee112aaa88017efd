// Main thread: draws the output spectrum on a log-frequency axis while audio runs.

export function startSpectrum(canvas, analyser) {
  const ctx = canvas.getContext('2d');
  const bins = new Float32Array(analyser.frequencyBinCount);
  const nyquist = analyser.context.sampleRate / 2;
  const [lowHz, floorDb, ceilDb] = [20, -110, 0];
  let running = true;

  function draw() {
    if (!running) return;
    analyser.getFloatFrequencyData(bins);
    const { width, height } = canvas;
    ctx.fillStyle = '#0d0f12';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = '#2c3038';
    ctx.fillStyle = '#6b717a';
    ctx.font = '11px system-ui';
    for (const hz of [100, 1000, 10000]) {
      const x = (Math.log(hz / lowHz) / Math.log(nyquist / lowHz)) * width;
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, height);
      ctx.stroke();
      ctx.fillText(hz >= 1000 ? `${hz / 1000}k` : `${hz}`, x + 3, height - 4);
    }
    ctx.strokeStyle = '#f0b429';
    ctx.beginPath();
    for (let x = 0; x < width; x += 1) {
      // Each pixel shows the loudest bin it covers, so narrow partials never fall between pixels.
      const from = Math.round(((lowHz * (nyquist / lowHz) ** (x / width)) / nyquist) * bins.length);
      const to = Math.round(((lowHz * (nyquist / lowHz) ** ((x + 1) / width)) / nyquist) * bins.length);
      let db = -Infinity;
      for (let b = from; b <= Math.min(to, bins.length - 1); b += 1) db = Math.max(db, bins[b]);
      const y = height * (1 - (Math.max(floorDb, Math.min(ceilDb, db)) - floorDb) / (ceilDb - floorDb));
      if (x === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    requestAnimationFrame(draw);
  }
  requestAnimationFrame(draw);
  return () => { running = false; };
}
