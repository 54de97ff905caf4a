/** Escaping for the one-file HTML report: text, attributes, embedded JSON and inlined scripts. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value: function names carry `<`, `>` and quotes (generics, closures). */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * JSON for a `<script type="application/json">` block. The HTML parser ends the block at the first
 * `</script` whatever JSON thinks, and `<!--` changes how it scans; escaping every `<`, `>` and `&`
 * as \u003c etc. keeps the text a valid JSON string that the parser never reads as markup.
 * U+2028/U+2029 are escaped too, so the text is also a valid JS literal if someone pastes it.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Source of a library inlined into a `<script>` or `<style>`. `</script` inside it would end the
 * element early; `<\/script` means the same in JS strings, regexes and comments. `<!--` cannot be
 * rewritten safely in arbitrary JS, so a library containing it is refused rather than half-inlined.
 */
export function inlineSource(source: string, what: string, element: 'script' | 'style'): string {
  if (/<!--/.test(source)) throw new Error(`${what} contains "<!--" and cannot be inlined into a <${element}>`);
  if (element === 'style') {
    if (/<\/style/i.test(source)) throw new Error(`${what} contains "</style" and cannot be inlined`);
    return source;
  }
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** A node name as an id fragment (names come from scenarios: `val0`, `geth`, but anything is allowed). */
export function slugify(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
