// report.html from a real geth run, opened from disk in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): charts drawn with data, flame graph, goroutine groups, tables that match
// summary.json, links that resolve; plus a run that failed early and hostile strings in the data.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runScenario, type RunResult, type ScenarioInput } from 'chainsoak';
import type { Sample } from '../../harness/probes/sampler.ts';
import type { NodeReport, PhaseFigures, RunSummary, ThroughputPoint } from '../../harness/report/summary.ts';
import { readProfile } from '../../harness/analysis/index.ts';
import { chartData } from '../../harness/report/html/charts.ts';
import { flameFrames } from '../../harness/report/html/flame.ts';
import { writeHtmlReport } from '../../harness/report/html/index.ts';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialing out (updates, sync, field trials).
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-html-'));

/** Two dev geth nodes; geth1 is restarted mid-phase (a disrupted node, a fault marker, a gap in its series). */
const scenario: ScenarioInput = {
  name: 'html-report',
  seed: 3,
  nodes: [{ name: 'geth', node: 'geth', count: 2, options: { devPeriod: 1 } }],
  warmup: '3s',
  phases: [
    {
      name: 'load',
      duration: '12s',
      workloads: [
        // Senders are spread over both nodes but funded on geth0 only: geth1 rejects its share, so the
        // run has failures as well as successes to chart.
        { kind: 'geth-tx-flood', rate: 40, senders: 4, maxTxs: 2000 },
        // Clients that stop reading: goroutines grow on geth0 (geth1's are dropped by its restart).
        { kind: 'geth-ws-zombies', clients: 10 },
      ],
      faults: [{ at: '5s', action: 'restart', node: 'geth1' }],
    },
  ],
  cooldown: '2s',
  sampleInterval: '1s',
  budgets: { goroutineGrowth: 1000, heapInuseGrowth: { bytes: '1GB' } },
};

interface Opened {
  page: Page;
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
}

async function open(browser: Browser, file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems, requests };
}

function readSamples(dir: string): Sample[] {
  const file = path.join(dir, 'samples.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);
}

/** Chart ids the page must draw for a summary and its samples, computed here independently of the report code. */
function expectedCharts(summary: RunSummary, samples: Sample[]): string[] {
  const nodes = [...new Set([...summary.nodes.map((n) => n.name), ...samples.map((s) => s.node)])];
  const ids = nodes.flatMap((n) => ['heap', 'goroutines', 'memory'].map((k) => `chart-${n}-${k}`));
  if ((summary.throughput?.length ?? 0) >= 2) ids.push('chart-run-rate', 'chart-run-latency');
  return ids;
}

interface ChartState {
  id: string;
  canvas: { width: number; height: number } | null;
  /** Non-null values per series, x first. */
  counts: number[];
  labels: string[];
  /** Pixels close to each series' stroke colour: the line or its markers were really drawn. */
  inked: number[];
  caption: string;
}

// Plain JS text, not a function: tsx compiles test functions with keepNames, whose __name() helper
// does not exist in the page that page.evaluate would run them in.
const CHART_STATES = `(() => window.chainsoakCharts.map(({ id, plot }) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  let inked = [];
  if (canvas) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    inked = plot.series.slice(1).map((s, i) => {
      // uPlot keeps stroke as a function of (plot, series index).
      const hex = String(typeof s.stroke === 'function' ? s.stroke(plot, i + 1) : s.stroke);
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let n = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (Math.abs(pixels[i] - r) < 30 && Math.abs(pixels[i + 1] - g) < 30 && Math.abs(pixels[i + 2] - b) < 30 && pixels[i + 3] > 200) n++;
      }
      return n;
    });
  }
  const box = canvas && canvas.getBoundingClientRect();
  return {
    id,
    canvas: box ? { width: box.width, height: box.height } : null,
    counts: plot.data.map((d) => d.filter((v) => v !== null && v !== undefined).length),
    labels: plot.series.map((s) => s.label || ''),
    inked,
    caption: (document.querySelector('figure[data-chart="' + id + '"] figcaption') || {}).textContent || '',
  };
}))()`;

async function chartStates(page: Page): Promise<ChartState[]> {
  return (await page.evaluate(CHART_STATES)) as ChartState[];
}

const BYTES = /-?\d+(\.\d+)? (B|KB|MB|GB)/;

describe('HTML report', function () {
  this.timeout(5 * 60_000);
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is needed (apt-get install -y chromium)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
  });

  describe('of a real geth run with two nodes, one restarted by a fault', () => {
    let summary: RunResult;
    let samples: Sample[];
    let file: string;
    let opened: Opened;

    before(async () => {
      summary = await runScenario(scenario, { reportsDir });
      assert.ok(summary.exitCode === 0 || summary.exitCode === 1, `the run completed: ${JSON.stringify(summary.error)}`);
      assert.equal(summary.nodes.length, 2, 'both nodes were measured');
      samples = readSamples(summary.reportDir);
      file = await writeHtmlReport(summary, samples);
      opened = await open(browser, file);
    });
    after(async () => {
      await opened?.page.close();
    });

    it('is one file next to summary.json that loads nothing from anywhere else', () => {
      assert.equal(file, path.join(summary.reportDir, 'report.html'));
      const html = readFileSync(file, 'utf8');
      assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+rel="?stylesheet|@import/i, 'no linked script or stylesheet');
      // What the browser fetched: the page itself (and data: URLs), nothing else.
      assert.deepEqual(opened.requests.filter((u) => u !== pathToFileURL(file).href && !u.startsWith('data:')), []);
      assert.ok(html.length < 3_000_000, `${html.length} bytes`);
    });

    it('opens without console errors, page errors or failed requests', () => {
      assert.deepEqual(opened.problems, []);
    });

    it('shows the header: scenario, verdict, seed, node versions, and every budget with its result', async () => {
      const { page } = opened;
      assert.match(await page.locator('h1').innerText(), /html-report/);
      assert.equal(await page.locator('.verdict').innerText(), summary.verdict.toUpperCase());
      const facts = await page.locator('table.facts').innerText();
      assert.match(facts, new RegExp(`seed\\s+${summary.seed}`));
      for (const n of summary.nodes) assert.ok(facts.includes(`${n.flavor} ${n.version}`), `${n.version} in ${facts}`);
      const rows = await page.locator('#budgets tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
      assert.equal(rows.length, summary.budgets.length);
      summary.budgets.forEach((b, i) => {
        const [node, name, result, message] = rows[i]!;
        assert.equal(node, b.node === '*' ? 'run' : b.node);
        assert.equal(name, b.name);
        assert.equal(result, b.skipped ? 'skipped' : b.pass ? 'pass' : 'fail');
        assert.equal(message, b.message);
      });
      assert.ok(summary.budgets.some((b) => b.node === 'geth1' && b.skipped), 'the restarted node is not judged');
      assert.equal(await page.locator('#node-geth1 h2 .tag.warn').count(), 1, 'geth1 is marked disrupted');
      assert.equal(await page.locator('#node-geth0 h2 .tag.warn').count(), 0, 'geth0 is not');
    });

    it('draws every chart, each with its samples plotted', async () => {
      const states = await chartStates(opened.page);
      assert.deepEqual(states.map((s) => s.id), expectedCharts(summary, samples));
      assert.equal(await opened.page.locator('.plot canvas').count(), states.length, 'one canvas per chart');
      for (const s of states) {
        assert.ok(s.canvas && s.canvas.width > 100 && s.canvas.height > 100, `${s.id} canvas ${JSON.stringify(s.canvas)}`);
        assert.ok(s.counts[0]! > 2, `${s.id} has x values`);
        s.labels.slice(1).forEach((label, i) => {
          // Marker series (forced-GC snapshots) have a few points; line series one per sample.
          const min = /snapshot|cycle/.test(label) ? 2 : 3;
          assert.ok(s.counts[i + 1]! >= min, `${s.id} series "${label}" has ${s.counts[i + 1]} points`);
          assert.ok(s.inked[i]! > 10, `${s.id} series "${label}" is drawn (${s.inked[i]} pixels of its colour)`);
        });
      }
      // The heap, goroutine and memory lines have one point per sample of their node in samples.jsonl.
      for (const node of ['geth0', 'geth1']) {
        const own = samples.filter((s) => s.node === node);
        assert.ok(own.length > 5, `${node}: ${own.length} samples`);
        const heap = states.find((s) => s.id === `chart-${node}-heap`)!;
        assert.equal(heap.counts[heap.labels.indexOf('HeapInuse')], own.length);
        const goroutines = states.find((s) => s.id === `chart-${node}-goroutines`)!;
        assert.equal(goroutines.counts[goroutines.labels.indexOf('goroutines')], own.length);
        const memory = states.find((s) => s.id === `chart-${node}-memory`)!;
        assert.equal(memory.counts[memory.labels.indexOf('RSS')], own.filter((s) => s.rss !== null).length);
      }
    });

    it('embeds phase bands and fault markers from the run events', async () => {
      const data = JSON.parse(await opened.page.locator('#chainsoak-data').textContent() ?? 'null') as { bands: Array<{ name: string }>; faults: Array<{ label: string; t: number }> };
      const phases = summary.events.filter((e) => e.kind === 'phase').map((e) => e.detail!.replace(/ \(\d+ s\)$/, ''));
      assert.deepEqual(data.bands.map((b) => b.name).filter((n) => n !== 'setup'), phases);
      const faults = summary.events.filter((e) => e.kind === 'fault');
      assert.deepEqual(data.faults.map((f) => f.label), faults.map((f) => f.detail));
      assert.deepEqual(data.faults.map((f) => f.label), ['restart geth1']);
    });

    it('renders the differential heap flame graph with byte figures on hover, and zooms on click', async () => {
      const { page } = opened;
      for (const node of summary.nodes) {
        const frames = page.locator(`#flame-${node.name} g.frame`);
        assert.ok((await frames.count()) > 10, `${node.name}: ${await frames.count()} frames`);
        // The root is all of inuse_space: the same totals summary.json has from the same profiles.
        const root = page.locator(`#flame-${node.name} g.frame[data-depth="0"]`);
        assert.equal(Number(await root.getAttribute('data-after')), node.heap.after.inuseBytes);
        assert.equal(Number(await root.getAttribute('data-before')), node.heap.before.inuseBytes);
      }
      const frame = page.locator('#flame-geth0 g.frame[data-depth="1"]').first();
      await frame.locator('rect').hover();
      const info = await page.locator('#flame-info-geth0').innerText();
      const name = (await frame.getAttribute('data-name'))!;
      assert.ok(info.startsWith(name), info);
      assert.match(info, new RegExp(`before ${BYTES.source}, after ${BYTES.source}, delta [+-]?${BYTES.source}`));
      const title = await frame.locator('title').textContent();
      assert.match(title ?? '', new RegExp(`before ${BYTES.source} · after ${BYTES.source} · delta`));
      // Click to zoom: a frame narrower than the whole becomes full width.
      const all = page.locator('#flame-geth0 g.frame');
      const widths = await all.evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-w'))));
      const pick = widths.findIndex((w, i) => i > 0 && w > 0.02 && w < 0.5);
      assert.ok(pick > 0, 'a frame narrower than half the graph');
      const narrow = all.nth(pick);
      const before = Number(await narrow.locator('rect').getAttribute('width'));
      await narrow.locator('rect').click();
      const zoomed = Number(await narrow.locator('rect').getAttribute('width'));
      assert.ok(before < 1190 && zoomed > 1190, `width ${before} → ${zoomed}`);
      await page.locator('#flame-geth0 g.frame[data-depth="0"] rect').click();
      assert.equal(Number(await narrow.locator('rect').getAttribute('width')), before, 'the root resets the zoom');
    });

    it('keeps the flame graph bounded: small frames merged into their caller, children within their parent', () => {
      const node = summary.nodes[0]!;
      const before = readProfile(path.join(summary.reportDir, node.profiles.heapBefore));
      const after = readProfile(path.join(summary.reportDir, node.profiles.heapAfter));
      const frames = flameFrames(before, after);
      assert.ok(frames.slice(1).every((f) => f.w >= 0.001), 'no frame under 0.1% of the total');
      assert.equal(frames[0]!.after, node.heap.after.inuseBytes);
      // A coarser cut merges more (heap samples are ~512 KB each, so 0.1% of a 50 MB heap merges few).
      const coarse = flameFrames(before, after, { minFraction: 0.05 });
      assert.ok(coarse.length < frames.length, `${coarse.length} frames at 5% of ${frames.length} at 0.1%`);
      assert.ok(coarse.slice(1).every((f) => f.w >= 0.05));
      assert.equal(coarse[0]!.after, frames[0]!.after, 'merged bytes stay in the callers');
      const capped = flameFrames(before, after, { maxDepth: 5 });
      assert.equal(Math.max(...capped.map((f) => f.depth)), 5);
      for (const parent of frames) {
        const kids = frames.filter((f) => f.depth === parent.depth + 1 && f.x >= parent.x - 1e-9 && f.x + f.w <= parent.x + parent.w + 1e-9);
        const sum = kids.reduce((s, f) => s + f.after, 0);
        assert.ok(sum <= parent.after, `${parent.name}: children ${sum} > ${parent.after}`);
      }
    });

    it('groups goroutines by stack with before, after and delta matching the profiles and summary.json', async () => {
      const { page } = opened;
      for (const node of summary.nodes) {
        const groups = await page.locator(`#goroutine-groups-${node.name} details.group`).evaluateAll((els) =>
          els.map((el) => ({
            before: Number(el.getAttribute('data-before')),
            after: Number(el.getAttribute('data-after')),
            delta: Number(el.getAttribute('data-delta')),
            stack: el.querySelector('pre')?.textContent ?? '',
          })),
        );
        assert.ok(groups.length > 5, `${node.name}: ${groups.length} groups`);
        assert.equal(groups.reduce((s, g) => s + g.after, 0), node.goroutines.after, `${node.name}: goroutines after`);
        assert.equal(groups.reduce((s, g) => s + g.before, 0), node.goroutines.before, `${node.name}: goroutines before`);
        for (let i = 1; i < groups.length; i++) assert.ok(groups[i - 1]!.delta >= groups[i]!.delta, 'largest delta first');
        for (const g of node.goroutines.topGrowth) {
          const row = groups.find((r) => r.stack === g.stack.join('\n'));
          assert.ok(row, `group for ${g.entry}`);
          assert.equal(row.delta, g.count);
          assert.equal(row.after, g.after);
        }
      }
      assert.ok(summary.nodes.find((n) => n.name === 'geth0')!.goroutines.topGrowth.length > 0, 'the zombies grew goroutines on geth0');
      // Stacks fold: closed until clicked.
      const first = page.locator('#goroutine-groups-geth0 details.group').first();
      assert.equal(await first.locator('pre').isVisible(), false);
      await first.locator('summary').click();
      assert.equal(await first.locator('pre').isVisible(), true);
    });

    it('lists the top growth tables of summary.json, row for row', async () => {
      const { page } = opened;
      for (const node of summary.nodes) {
        const heapRows = await page.locator(`#heap-growth-${node.name} tbody tr`).evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-function'), Number(tr.getAttribute('data-bytes'))]));
        assert.deepEqual(heapRows, node.heap.topGrowth.map((g) => [g.function, g.inuseBytes]));
        const goroutineRows = page.locator(`#goroutine-growth-${node.name} tbody tr`);
        const counts = await goroutineRows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-entry'), Number(tr.getAttribute('data-count'))]));
        assert.deepEqual(counts, node.goroutines.topGrowth.map((g) => [g.entry, g.count]));
      }
      assert.ok(summary.nodes.some((n) => n.heap.topGrowth.length > 0), 'some heap growth to list');
    });

    it('links the raw files, all of which exist, and shows the pprof commands', async () => {
      const { page } = opened;
      const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!).filter((h) => !h.startsWith('#')));
      const files = hrefs.map((h) => fileURLToPath(new URL(h, pathToFileURL(file))));
      for (const f of files) assert.ok(existsSync(f), `${f} exists`);
      const linked = new Set(files.map((f) => path.relative(summary.reportDir, f)));
      for (const want of ['samples.jsonl', 'junit.xml', 'summary.json']) assert.ok(linked.has(want), want);
      for (const node of summary.nodes) {
        for (const p of [...Object.values(node.profiles), node.log]) assert.ok(linked.has(p), `${p} linked`);
      }
      const code = await page.locator('.cmd code').allTextContents();
      assert.deepEqual(code, summary.nodes.flatMap((n) => n.pprofCommands));
      assert.equal(await page.locator('.missing').count(), 0, 'no file of the report is missing');
    });

    it('shows the newer summary fields (throughput, trend, phases, patterns, outside heap) when a run has them', async () => {
      // Filled in from this run's own samples, so the views are checked before every runner writes them.
      const extended = withNewFields(summary, samples);
      extended.reportDir = mkdtempSync(path.join(os.tmpdir(), 'chainsoak-html-ext-'));
      cpSync(summary.reportDir, extended.reportDir, { recursive: true });
      const { page, problems } = await open(browser, await writeHtmlReport(extended, samples));
      try {
        assert.deepEqual(problems, []);
        const states = await chartStates(page);
        assert.deepEqual(states.map((s) => s.id), expectedCharts(extended, samples));
        const rate = states.find((s) => s.id === 'chart-run-rate')!;
        assert.deepEqual(rate.labels.slice(1), ['accepted/s', 'failed/s']);
        assert.equal(rate.counts[1], extended.throughput.length - 1, 'one rate per interval');
        assert.ok(rate.inked[0]! > 10, 'accepted/s drawn');
        const latency = states.find((s) => s.id === 'chart-run-latency')!;
        assert.equal(latency.counts[1], extended.throughput.filter((p) => p.p95Ms !== null).length);
        const node = extended.nodes[0]!;
        const heap = states.find((s) => s.id === `chart-${node.name}-heap`)!;
        assert.match(heap.caption, /post-GC heap floor trend: bounded — slope \+[\d.]+ (B|KB|MB)\/cycle/);
        const markers = heap.labels.findIndex((l) => /cycle ends/.test(l));
        assert.ok(markers > 0, heap.labels.join(', '));
        assert.ok(heap.counts[markers]! >= node.trend!.points.length, `${heap.counts[markers]} markers`);
        assert.match(states.find((s) => s.id === `chart-${node.name}-goroutines`)!.caption, /goroutines trend: bounded/);
        const phaseRows = await page.locator(`#node-${node.name} table.phases tbody tr`).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-phase')));
        assert.deepEqual(phaseRows, node.phases.map((p) => p.phase));
        assert.match(await page.locator(`#node-${node.name} .outside.flagged`).innerText(), /Sys grew/);
        const pattern = page.locator(`#node-${node.name} .pattern`);
        assert.equal(await pattern.count(), 1);
        assert.match(await pattern.locator('h4').innerText(), /map never pruned/);
        assert.equal(await pattern.locator('tr.prime td.fn').first().innerText().then((t) => t.replace(/ most likely$/, '')), node.patterns[0]!.suspects[0]!.function);
        // Trend profiles are linked (they exist: copies of the after profile).
        const hrefs = await page.locator(`#node-${node.name} a[href]`).evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        assert.ok(hrefs.includes(node.trend!.points[0]!.profile!), hrefs.join(', '));
      } finally {
        await page.close();
      }
    });
  });

  describe('of a run that failed early', () => {
    let failed: RunResult;

    before(async () => {
      failed = await runScenario(
        { ...scenario, name: 'html-report-broken', nodes: [{ name: 'geth', node: 'geth', options: { extraArgs: ['--no-such-geth-flag'] } }], phases: [{ name: 'load', duration: '2s', workloads: [{ kind: 'geth-ws-zombies', clients: 1 }] }] },
        { reportsDir },
      );
      assert.equal(failed.exitCode, 3, JSON.stringify(failed.error));
      assert.equal(failed.nodes.length, 0);
    });

    it('shows the header and the error, without page errors', async () => {
      const samples = readSamples(failed.reportDir);
      const { page, problems } = await open(browser, await writeHtmlReport(failed, samples));
      try {
        assert.deepEqual(problems, []);
        assert.equal(await page.locator('.verdict').innerText(), 'ERROR');
        assert.equal(await page.locator('#error p').innerText(), failed.error!.message);
        assert.match(await page.locator('#error pre').innerText(), /no-such-geth-flag/);
        assert.match(await page.locator('#nodes').innerText(), /No node was measured/);
        const states = await chartStates(page);
        assert.deepEqual(states.map((s) => s.id), expectedCharts(failed, samples));
        const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!).filter((h) => !h.startsWith('#')));
        for (const h of hrefs) assert.ok(existsSync(path.join(failed.reportDir, decodeURIComponent(h))), h);
        assert.ok(hrefs.includes('nodes/geth/geth.log'), `the log of the node that did not start is linked: ${hrefs.join(', ')}`);
      } finally {
        await page.close();
      }
    });

    it('keeps hostile names inert: markup in names and errors is text, </script> in the data does not end it', async () => {
      const hostile = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
      const summary: RunSummary = {
        ...failed,
        scenario: `evil ${hostile}`,
        reportDir: mkdtempSync(path.join(os.tmpdir(), 'chainsoak-html-evil-')),
        error: { message: hostile, detail: hostile },
        events: [...failed.events, { t: 100, kind: 'fault', detail: hostile }],
      };
      const sample: Sample = { node: hostile, t: 0, phase: 'setup', heapInuse: 1, heapAlloc: 1, sys: 2, numGC: 1, totalAlloc: 1, goroutines: 3, rss: 4, trigger: 'interval' };
      const samples = [0, 1000, 2000, 3000].map((t) => ({ ...sample, t }));
      const { page, problems } = await open(browser, await writeHtmlReport(summary, samples));
      try {
        assert.deepEqual(problems, []);
        assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
        assert.equal(await page.locator('#error p').innerText(), hostile);
        const data = JSON.parse((await page.locator('#chainsoak-data').textContent()) ?? 'null') as { faults: Array<{ label: string }> };
        assert.equal(data.faults.at(-1)!.label, hostile);
        assert.equal((await chartStates(page)).length, 3, 'the sampled node still gets its charts');
      } finally {
        await page.close();
      }
    });
  });
});

describe('HTML report chart data', () => {
  const sample = (node: string, t: number, heapInuse: number, goroutines: number): Sample => ({
    node, t, phase: 'soak', heapInuse, heapAlloc: heapInuse, sys: 2 * heapInuse, numGC: Math.floor(t / 10_000), totalAlloc: t, goroutines, rss: 3 * heapInuse, trigger: 'interval',
  });
  const bare = (durationMs: number): RunSummary => ({
    scenario: 's', seed: 1, verdict: 'pass', exitCode: 0, error: null, reportDir: os.tmpdir(), startedAt: '', durationMs, declaredMs: durationMs,
    nodes: [], workloads: [], budgets: [], events: [], timeline: [], samples: 'samples.jsonl', throughput: [],
  });

  it('breaks a node\'s lines where it was not sampled (down or paused), not elsewhere', () => {
    const samples = [...Array(40).keys()].filter((i) => i < 15 || i > 25).map((i) => sample('n', i * 1000, 1e7, 50));
    const heap = chartData(bare(40_000), samples).charts[0]!.series[0]!;
    assert.equal(heap.y.filter((v) => v === null).length, 1);
    assert.equal(heap.y.indexOf(null), 15, 'the gap sits between the last sample before and the first after');
    assert.ok(heap.x[15]! > 14 && heap.x[15]! < 26);
  });

  it('thins a day-long soak to a few thousand points per series, keeping peaks and without false gaps', () => {
    const samples = [...Array(43_200).keys()].map((i) => sample('n', i * 2000, 1e7 + (i % 50) * 1e5, i % 997 === 0 ? 400 : 50));
    const charts = chartData(bare(86_400_000), samples).charts;
    for (const c of charts) for (const s of c.series.filter((x) => !x.points)) assert.ok(s.x.length <= 3000, `${c.id} ${s.label}: ${s.x.length}`);
    const goroutines = charts.find((c) => c.id === 'chart-n-goroutines')!.series[0]!;
    assert.equal(goroutines.y.filter((v) => v === 400).length, samples.filter((s) => s.goroutines === 400).length, 'every goroutine peak kept');
    assert.equal(goroutines.y.filter((v) => v === null).length, 0);
    const heap = charts.find((c) => c.id === 'chart-n-heap')!.series[0]!;
    assert.equal(Math.max(...heap.y.map(Number)), 1e7 + 49 * 1e5, 'the heap peak kept');
  });
});

/**
 * The run's summary with the fields the runner is about to fill in, derived from its own samples:
 * throughput, per-phase figures, a trend over three "cycles", a leak pattern and an outside-heap flag.
 */
function withNewFields(summary: RunSummary, samples: Sample[]): RunSummary {
  const node = summary.nodes.find((n) => n.name === 'geth0')!;
  const own = samples.filter((s) => s.node === node.name).sort((a, b) => a.t - b.t);
  const accepted = summary.workloads.reduce((s, w) => s + w.accepted, 0);
  const failedTotal = summary.workloads.reduce((s, w) => s + w.failed, 0);
  const last = own.at(-1)!.t;
  const throughput: ThroughputPoint[] = own.map((s, i) => ({
    t: s.t,
    phase: s.phase,
    sent: Math.round(((accepted + failedTotal) * s.t) / last),
    accepted: Math.round((accepted * s.t) / last),
    failed: Math.round((failedTotal * s.t) / last),
    p95Ms: i % 4 === 3 ? null : 2 + (i % 3),
  }));
  const phases: PhaseFigures[] = [...new Set(own.map((s) => s.phase))].map((phase) => {
    const ps = own.filter((s) => s.phase === phase);
    const a = ps[0]!;
    const b = ps.at(-1)!;
    return {
      phase,
      startT: a.t,
      endT: b.t,
      heapInuse: { start: a.heapInuse, end: b.heapInuse, max: Math.max(...ps.map((s) => s.heapInuse)) },
      heapAlloc: { start: a.heapAlloc, end: b.heapAlloc, max: Math.max(...ps.map((s) => s.heapAlloc)) },
      sys: { start: a.sys, end: b.sys },
      rss: { start: a.rss, end: b.rss },
      goroutines: { start: a.goroutines, end: b.goroutines, max: Math.max(...ps.map((s) => s.goroutines)) },
      allocated: 1_000_000,
      numGC: b.numGC - a.numGC,
      gcPauseMs: 0.5,
      gcCpuFraction: 0.01,
    };
  });
  const picks = [own[Math.floor(own.length / 3)]!, own[Math.floor((2 * own.length) / 3)]!, own.at(-1)!];
  const fit = (metric: 'heapAlloc' | 'goroutines', slope: number) => ({
    metric,
    verdict: 'bounded' as const,
    growth: slope * 2,
    slopePerCycle: slope,
    slopeCI: [slope / 2, slope * 2] as [number, number],
    tailSlopePerCycle: slope / 4,
    tailSlopeCI: [-slope, slope] as [number, number],
    tailSlopePerMinute: slope,
    message: 'the floor stopped rising',
  });
  const trendNode: NodeReport = {
    ...node,
    trend: {
      points: picks.map((s, i) => ({
        cycle: i + 1,
        phase: s.phase,
        t: s.t,
        ops: i * 100,
        heapInuse: s.heapInuse,
        heapAlloc: s.heapAlloc,
        sys: s.sys,
        goroutines: s.goroutines,
        rss: s.rss,
        profile: node.profiles.heapAfter,
      })),
      heapAlloc: fit('heapAlloc', 123_456),
      goroutines: fit('goroutines', 1.5),
    },
    phases,
    outsideHeap: { flagged: true, heapInuseGrowth: 1e6, sysGrowth: 5e7, rssGrowth: 6e7, message: 'Sys grew 50 MB while HeapInuse grew 1 MB' },
    patterns: [
      {
        pattern: 'map-never-pruned',
        title: 'map never pruned',
        unit: 'bytes',
        growth: 2_000_000,
        suspects: [
          { function: 'github.com/example/pkg.(*Cache).Put', growth: 1_500_000, stack: ['runtime.mapassign', 'github.com/example/pkg.(*Cache).Put'] },
          { function: 'github.com/example/pkg.other', growth: 500_000, stack: [] },
        ],
        hint: 'delete entries when their owner goes away',
      },
    ],
  };
  return { ...summary, throughput, nodes: summary.nodes.map((n) => (n.name === node.name ? trendNode : n)) };
}
