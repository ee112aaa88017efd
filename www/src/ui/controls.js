// Main thread: slider helpers. Frequency sliders are logarithmic, as musicians expect.

/** A slider's value in its units: log-mapped when it carries data-log-min/max. */
export function sliderValue(input) {
  const { logMin, logMax } = input.dataset;
  if (logMin === undefined) return Number(input.value);
  const min = Number(logMin);
  const max = Number(logMax);
  const share = (Number(input.value) - Number(input.min)) / (Number(input.max) - Number(input.min));
  return min * (max / min) ** share;
}

/** Moves a slider to `value` in its units. */
export function setSlider(input, value) {
  const { logMin, logMax } = input.dataset;
  if (logMin === undefined) {
    input.value = String(value);
    return;
  }
  const min = Number(logMin);
  const max = Number(logMax);
  const share = Math.log(value / min) / Math.log(max / min);
  input.value = String(Number(input.min) + share * (Number(input.max) - Number(input.min)));
}

export function formatHz(hz) {
  return hz >= 1000 ? `${(hz / 1000).toFixed(2)} kHz` : `${hz.toFixed(1)} Hz`;
}

/** Calls `onChange(value)` on every movement and shows the value in the label's <output>. */
export function bindSlider(input, format, onChange) {
  const out = document.getElementById(`${input.id}-out`);
  const update = () => {
    const value = sliderValue(input);
    if (out) out.textContent = format(value);
    onChange(value);
  };
  if (input.dataset.value !== undefined) setSlider(input, Number(input.dataset.value));
  input.addEventListener('input', update);
  update();
}
