/**
 * Differential heap flame graph (icicle: root at the top), like pprof's diff view: a frame's width is its
 * inuse_space in the `after` profile, its colour how much it grew (red) or shrank (blue) since `before`.
 *
 * Hand-written SVG rather than a flame graph library: the page must stay one offline file, the libraries
 * (d3-flame-graph and kin) pull d3 in and render from a full tree in the browser, while the tree here is
 * small once pruned and the layout is a dozen lines. Generated in Node, the SVG is there with scripts off,
 * and client.js only adds hover details and click-to-zoom over the data-* attributes.
 */
import { findSampleTypeIndex, type Profile } from '../../analysis/index.ts';
import { esc } from './escape.ts';
import { bytes, signedBytes } from './format.ts';

export interface FlameOptions {
  /** Frames narrower than this fraction of the root are merged into their parent. */
  minFraction?: number;
  /** Deeper frames are merged into their ancestor at this depth. */
  maxDepth?: number;
  /** Hard cap on rendered frames, whatever the profile looks like. */
  maxFrames?: number;
}

export interface FlameFrame {
  name: string;
  before: number;
  after: number;
  depth: number;
  /** Left edge and width as fractions of the root's `after` bytes. */
  x: number;
  w: number;
}

interface TreeNode {
  name: string;
  before: number;
  after: number;
  children: Map<string, TreeNode>;
}

const WIDTH = 1200;
const ROW = 18;

/** Inclusive after/before inuse_space per call path, laid out and pruned; the root is frame 0. */
export function flameFrames(before: Profile, after: Profile, options: FlameOptions = {}): FlameFrame[] {
  const minFraction = options.minFraction ?? 0.001;
  const maxDepth = options.maxDepth ?? 48;
  const maxFrames = options.maxFrames ?? 4000;
  const root: TreeNode = { name: 'all', before: 0, after: 0, children: new Map() };
  addProfile(root, before, 'before', maxDepth);
  addProfile(root, after, 'after', maxDepth);
  const frames: FlameFrame[] = [];
  const total = root.after;
  const min = total * minFraction;
  // Breadth-first, so the frame cap cuts the deepest rows rather than one arbitrary subtree.
  const queue: Array<{ node: TreeNode; depth: number; x: number }> = [{ node: root, depth: 0, x: 0 }];
  while (queue.length && frames.length < maxFrames) {
    const { node, depth, x } = queue.shift()!;
    frames.push({ name: node.name, before: node.before, after: node.after, depth, x: total > 0 ? x / total : 0, w: total > 0 ? node.after / total : 0 });
    let cx = x;
    const kids = [...node.children.values()].sort((a, b) => b.after - a.after || (a.name < b.name ? -1 : 1));
    for (const child of kids) {
      if (child.after <= 0 || child.after < min) continue; // merged into the parent: its bytes stay in the parent's width
      queue.push({ node: child, depth: depth + 1, x: cx });
      cx += child.after;
    }
  }
  return frames;
}

function addProfile(root: TreeNode, profile: Profile, which: 'before' | 'after', maxDepth: number): void {
  const index = findSampleTypeIndex(profile, 'inuse_space');
  if (index < 0) throw new Error(`${profile.source} has no inuse_space samples`);
  const names = profile.functionNames;
  for (const sample of profile.samples) {
    const value = sample.values[index]!;
    if (value === 0) continue;
    let node = root;
    node[which] += value;
    // Root first: frames are stored leaf first.
    const frames = sample.frames;
    for (let i = frames.length - 1, depth = 1; i >= 0 && depth <= maxDepth; i--, depth++) {
      const name = names[frames[i]!]!;
      let child = node.children.get(name);
      if (!child) {
        child = { name, before: 0, after: 0, children: new Map() };
        node.children.set(name, child);
      }
      child[which] += value;
      node = child;
    }
  }
}

/** Fill colour: red for growth, blue for shrink, intensity relative to the largest change. */
export function diffColor(delta: number, maxAbs: number): string {
  if (maxAbs <= 0 || delta === 0) return 'hsl(0, 0%, 88%)';
  const strength = Math.sqrt(Math.min(1, Math.abs(delta) / maxAbs));
  const light = Math.round(92 - strength * 42);
  return delta > 0 ? `hsl(2, 75%, ${light}%)` : `hsl(215, 70%, ${light}%)`;
}

export function frameTitle(f: FlameFrame): string {
  return `${f.name}\nbefore ${bytes(f.before)} · after ${bytes(f.after)} · delta ${signedBytes(f.after - f.before)}`;
}

export function flameSvg(id: string, frames: FlameFrame[]): string {
  const rows = Math.max(1, ...frames.map((f) => f.depth + 1));
  const height = rows * ROW;
  const maxAbs = Math.max(0, ...frames.map((f) => Math.abs(f.after - f.before)));
  const parts: string[] = [
    `<svg class="flame" id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" data-width="${WIDTH}" role="img" aria-label="heap flame graph">`,
  ];
  for (const f of frames) {
    const x = f.x * WIDTH;
    const w = f.w * WIDTH;
    const y = f.depth * ROW;
    parts.push(
      `<g class="frame" data-x="${f.x}" data-w="${f.w}" data-depth="${f.depth}" data-before="${f.before}" data-after="${f.after}" data-name="${esc(f.name)}" data-label="${esc(shortName(f.name))}">` +
        `<title>${esc(frameTitle(f))}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0, w - 0.5).toFixed(2)}" height="${ROW - 1}" fill="${diffColor(f.after - f.before, maxAbs)}"></rect>` +
        `<text x="${(x + 3).toFixed(2)}" y="${y + ROW - 5}">${esc(fitLabel(shortName(f.name), w))}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The name without its package path, as pprof's flame graph labels frames: `filtermaps.(*FilterMaps).run`
 * for `github.com/ethereum/go-ethereum/core/filtermaps.(*FilterMaps).run`. Only the part before the
 * first `(` or `[` is searched for `/`, since receivers and generic shapes may hold paths of their own.
 */
export function shortName(name: string): string {
  const cut = name.search(/[([]/);
  const head = cut < 0 ? name : name.slice(0, cut);
  let slash = head.lastIndexOf('/');
  // A major-version suffix is no name: keep `pebble/v2.(*DB).Apply`, not `v2.(*DB).Apply`.
  if (/^v\d+\./.test(head.slice(slash + 1))) slash = head.lastIndexOf('/', slash - 1);
  return name.slice(slash + 1);
}

/** The label that fits a frame `width` units wide (about 6.6 units per character at 11px). */
export function fitLabel(name: string, width: number): string {
  const chars = Math.floor((width - 6) / 6.6);
  if (chars < 3) return '';
  if (name.length <= chars) return name;
  return name.slice(0, chars - 1) + '…';
}

/** The flame graph section of one node, or a line saying why there is none. */
export function flameSection(slug: string, load: () => { before: Profile; after: Profile }): string {
  let frames: FlameFrame[];
  try {
    const { before, after } = load();
    frames = flameFrames(before, after);
  } catch (err) {
    return `<p class="empty">No flame graph: ${esc(err instanceof Error ? err.message : String(err))}</p>`;
  }
  const root = frames[0]!;
  return [
    `<p class="note">inuse_space per call path, root at the top. Width: bytes in use after the run (${bytes(root.after)}); colour: growth since before (red) or shrink (blue), ${signedBytes(root.after - root.before)} in all. Frames under 0.1% of the total are merged into their caller. Click a frame to zoom, the top row to reset.</p>`,
    `<div class="flame-info" id="flame-info-${esc(slug)}" aria-live="polite">Hover a frame for its bytes before and after.</div>`,
    `<div class="flame-box">${flameSvg(`flame-${slug}`, frames)}</div>`,
  ].join('\n');
}
