// Building the page from data without innerHTML: text stays text, whatever it holds.

export const $ = (id) => document.getElementById(id);

export function text(element, value) {
  element.textContent = value;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

