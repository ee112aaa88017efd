// Main thread: the one helper every panel builds its elements with.

/** A `tag` element with `props` assigned and `children` (nodes or text) appended. */
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
