/** The page shell: one HTML document with every style, script and datum inlined. */
import type { Assets } from './assets.ts';
import { embedJson, esc } from './escape.ts';

export interface PageParts {
  title: string;
  /** Sections of the body, already HTML. */
  body: string[];
  /** Embedded as JSON for client.js. */
  data: unknown;
  toc: Array<{ href: string; label: string }>;
}

export function renderPage(parts: PageParts, assets: Assets): string {
  const toc = parts.toc.map((t) => `<a href="${esc(t.href)}">${esc(t.label)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chainsoak (uPlot ${esc(assets.uplotVersion)})">
<title>${esc(parts.title)}</title>
<link rel="icon" href="data:,">
<style>${assets.uplotCss}</style>
<style>${assets.css}</style>
</head>
<body>
<nav class="toc">${toc}</nav>
${parts.body.join('\n')}
<script type="application/json" id="chainsoak-data">${embedJson(parts.data)}</script>
<script>${assets.uplotJs}</script>
<script>${assets.clientJs}</script>
</body>
</html>
`;
}
