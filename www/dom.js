// DOM helpers shared by the views.

/**
 * Sets an element's text only when it changed: the page re-renders every second, and
 * rewriting a live region's text, even with the same words, makes a screen reader
 * announce it again.
 */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
