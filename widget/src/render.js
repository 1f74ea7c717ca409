// Building the chat panel's nodes: every text goes in as text; links only for http(s)
// and mailto addresses.

const URL_PATTERN = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+|mailto:[^\s)]+)\)|(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)'])/g;

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children || []) node.append(child);
  return node;
}

export function safeHref(href) {
  try {
    const url = new URL(href);
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
  } catch (error) {
    return null;
  }
}

// Text with line breaks and links, built from text nodes only.
export function renderRichText(text) {
  const fragment = document.createDocumentFragment();
  const lines = String(text).split(/\r?\n/);
  lines.forEach((line, index) => {
    if (index > 0) fragment.append(document.createElement("br"));
    let last = 0;
    for (const match of line.matchAll(URL_PATTERN)) {
      const href = safeHref(match[2] || match[3]);
      if (!href) continue;
      if (match.index > last) fragment.append(document.createTextNode(line.slice(last, match.index)));
      const link = el("a", { href, target: "_blank", rel: "noopener noreferrer", text: match[1] || match[3] });
      fragment.append(link);
      last = match.index + match[0].length;
    }
    if (last < line.length) fragment.append(document.createTextNode(line.slice(last)));
  });
  return fragment;
}
