// Main thread: the one helper every panel builds its elements with.

/** A `tag` element with `props` assigned and `children` (nodes or text) appended. */
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/**
 * Makes `item` one of a list reordered by dragging: it carries `id` under the drag type `type`,
 * is marked `drop-here` while one of its kind is over it, and hands a dropped other id to
 * `onDrop`. Only drags that start on `item` itself count (not a text field inside it).
 */
export function reorderable(item, type, id, onDrop) {
  item.draggable = true;
  item.addEventListener('dragstart', (e) => {
    if (e.target !== item) return;
    e.dataTransfer.setData(type, String(id));
    e.dataTransfer.effectAllowed = 'move';
  });
  item.addEventListener('dragover', (e) => {
    if (!e.dataTransfer.types.includes(type)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    item.classList.add('drop-here');
  });
  item.addEventListener('dragleave', () => item.classList.remove('drop-here'));
  item.addEventListener('drop', (e) => {
    item.classList.remove('drop-here');
    const moved = Number(e.dataTransfer.getData(type));
    if (!moved || moved === id) return;
    e.preventDefault();
    onDrop(moved);
  });
}
