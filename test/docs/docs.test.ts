// The docs stay honest: every workload, budget, flavor option and scenario field in the code is documented on
// its page, and every relative link in README.md and docs/*.md points at a file (and a heading) that exists.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { BUDGETS, resultNames } from '../../harness/analysis/budget-table.ts';
import { faultSchema } from '../../harness/faults/timeline.ts';
import { networkFaultSchema } from '../../harness/faults/toxiproxy/schema.ts';
import { LEAK_PATTERNS } from '../../harness/nodes/leaky-node.ts';
import { flavors } from '../../harness/nodes/registry.ts';
import { externalEndpointsSchema } from '../../harness/runtimes/external.ts';
import { scenarioSchema } from '../../harness/scenario/schema.ts';
import { parseDuration } from '../../harness/scenario/units.ts';
import { workloadSchemas } from '../../harness/workloads/registry.ts';
import { executorSchemas } from '../../harness/workloads/executor/config.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docsDir = path.join(root, 'docs');

const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const withoutCode = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '');

/** The text under the first heading whose title contains `title`, up to the next heading of the same or a higher level. */
function section(md: string, title: string): string {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '').includes(title));
  assert.ok(start >= 0, `no heading containing "${title}"`);
  const level = lines[start]!.match(/^#+/)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.match(/^#+/)![0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** The fields of a zod object schema (strict objects, with or without refinements). */
const shapeOf = (schema: z.ZodType) => (schema as unknown as { shape: Record<string, z.ZodType> }).shape;

/** The values of an enum field, through optional/default wrappers; none for other fields. */
function enumValues(schema: z.ZodType): string[] {
  let s = schema as unknown as { def: { type: string; innerType?: unknown; entries?: Record<string, string> } };
  while (s.def.innerType) s = s.def.innerType as typeof s;
  return s.def.type === 'enum' ? Object.values(s.def.entries!) : [];
}

/** Each key (and each value of an enum key) must appear as inline code in the text. */
function missingFields(text: string, schema: z.ZodType, prefix = ''): string[] {
  const missing: string[] = [];
  for (const [key, field] of Object.entries(shapeOf(schema))) {
    if (!text.includes('`' + prefix + key)) missing.push(prefix + key);
    for (const value of enumValues(field)) if (!text.includes('`' + value + '`')) missing.push(`${prefix}${key}: ${value}`);
  }
  return missing;
}

/** A field's default when it is a plain value (a number, string or boolean), through an optional wrapper. */
function plainDefault(schema: z.ZodType): string | undefined {
  let s = schema as unknown as { def: { type: string; innerType?: unknown; defaultValue?: unknown } };
  while (s.def.type === 'optional') s = s.def.innerType as typeof s;
  const value = s.def.type === 'default' ? s.def.defaultValue : undefined;
  return ['number', 'string', 'boolean'].includes(typeof value) ? String(value) : undefined;
}

/** The cell under the `default` column of the table row `| \`key\` | …`. */
function defaultCell(text: string, key: string): string | undefined {
  const lines = text.split('\n');
  const row = lines.findIndex((l) => l.startsWith('| `' + key + '` |'));
  if (row < 0) return undefined;
  let header = row;
  while (header > 0 && lines[header - 1]!.startsWith('|')) header--;
  const cells = (l: string) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim());
  return cells(lines[row]!)[cells(lines[header]!).indexOf('default')];
}

/** Fields whose documented default does not show the schema's default. */
function wrongDefaults(text: string, schema: z.ZodType, prefix = ''): string[] {
  const wrong: string[] = [];
  for (const [key, field] of Object.entries(shapeOf(schema))) {
    const value = plainDefault(field);
    if (value === undefined) continue;
    const cell = defaultCell(text, prefix + key)?.replace(/[`,]/g, '');
    const shown = cell?.split(/[^\w.-]+/) ?? [];
    // A duration default is milliseconds in the schema and may read '15s' in the docs.
    if (!shown.includes(value) && !shown.some((t) => /[a-z]$/.test(t) && parseDuration(t) === Number(value))) wrong.push(`${key}: the schema's default is ${value}, the docs say ${cell ?? 'nothing'}`);
  }
  return wrong;
}

describe('docs', () => {
  it('document every workload kind with every option, its values and its default', () => {
    const page = read('docs/workloads.md');
    for (const [kind, schema] of Object.entries(workloadSchemas)) {
      const text = section(page, kind);
      assert.deepEqual(missingFields(text, schema).filter((f) => f !== 'kind'), [], `docs/workloads.md, ${kind}: undocumented`); // the heading is the kind
      assert.deepEqual(wrongDefaults(text, schema), [], `docs/workloads.md, ${kind}: defaults`);
    }
  });

  it('document every executor field with its default', () => {
    const text = section(read('docs/workloads.md'), 'Executors');
    for (const [type, schema] of Object.entries(executorSchemas)) {
      assert.ok(text.includes('`' + type + '`'), `docs/workloads.md, executors: ${type} undocumented`);
      assert.deepEqual(missingFields(text, schema), [], `docs/workloads.md, ${type}: undocumented`);
      assert.deepEqual(wrongDefaults(text, schema), [], `docs/workloads.md, ${type}: defaults`);
    }
  });

  it('document every budget by its field and every result name it produces', () => {
    const page = read('docs/budgets.md');
    const missing = BUDGETS.flatMap((b) => [...(b.key ? [b.key] : []), ...resultNames(b)]).filter((name) => !page.includes('`' + name));
    assert.deepEqual(missing, [], 'docs/budgets.md: undocumented');
  });

  it('document every scenario, node and phase field with its default', () => {
    const page = read('docs/scenarios.md');
    const shape = shapeOf(scenarioSchema) as Record<string, z.ZodArray<z.ZodType>>;
    const missing = [
      ...missingFields(section(page, 'Top-level fields'), scenarioSchema),
      ...missingFields(section(page, 'Nodes'), shape.nodes!.element, 'nodes[].'),
      ...missingFields(section(page, 'Phases'), shape.phases!.element, 'phases[].'),
    ];
    assert.deepEqual(missing, [], 'docs/scenarios.md: undocumented');
    const defaults = [
      ...wrongDefaults(section(page, 'Top-level fields'), scenarioSchema),
      ...wrongDefaults(section(page, 'Nodes'), shape.nodes!.element, 'nodes[].'),
      ...wrongDefaults(section(page, 'Phases'), shape.phases!.element, 'phases[].'),
    ];
    assert.deepEqual(defaults, [], 'docs/scenarios.md: defaults');
  });

  it('document every flavor option with its default, and every leak pattern of the fixture', () => {
    const page = read('docs/scenarios.md');
    const options = section(page, 'Flavor options');
    for (const flavor of flavors.values()) {
      assert.deepEqual(missingFields(section(options, flavor.name), flavor.optionsSchema), [], `docs/scenarios.md, ${flavor.name} options: undocumented`);
      assert.deepEqual(wrongDefaults(section(options, flavor.name), flavor.optionsSchema), [], `docs/scenarios.md, ${flavor.name} options: defaults`);
    }
    const leaky = section(options, 'leaky-node');
    assert.deepEqual(LEAK_PATTERNS.filter((p) => !leaky.includes('`' + p + '`')), [], 'docs/scenarios.md: leak patterns undocumented');
  });

  it('document every fault field and action, and every external endpoint', () => {
    const faults = section(read('docs/scenarios.md'), 'Faults');
    const linkFaults = (networkFaultSchema as unknown as { options: z.ZodType[] }).options;
    const missing = [...missingFields(faults, faultSchema), ...linkFaults.flatMap((s) => missingFields(faults, s))];
    assert.deepEqual([...new Set(missing)], [], 'docs/scenarios.md, faults: undocumented');
    const runtimes = read('docs/runtimes.md');
    assert.deepEqual(Object.keys(shapeOf(externalEndpointsSchema)).filter((k) => !runtimes.includes('`' + k + '`')), [], 'docs/runtimes.md: endpoints undocumented');
  });

  it('keep the README a front page: the quickstart and test commands CI reads, every exit code, every docs page linked', () => {
    const readme = read('README.md');
    assert.match(readme, /^npm run quickstart {3}# /m);
    assert.match(readme, /^npm test {13}# /m);
    for (const code of ['0', '1', '2', '3', '130']) assert.match(readme, new RegExp(`^\\| ${code} \\| `, 'm'), `exit code ${code}`);
    const unlinked = readdirSync(docsDir).filter((f) => f.endsWith('.md') && !readme.includes(`](docs/${f})`));
    assert.deepEqual(unlinked, [], 'README.md: docs pages not linked');
    assert.ok(readme.split('\n').length <= 160, `README.md has ${readme.split('\n').length} lines: keep it a five-minute read`);
  });

  it('point every relative link at an existing file and heading', () => {
    const pages = ['README.md', ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of withoutCode(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // http:, https:, mailto:
        const [file, anchor] = target!.split('#');
        const rel = file ? path.relative(root, path.resolve(path.dirname(path.join(root, page)), file)) : page;
        if (!existsSync(path.join(root, rel))) {
          broken.push(`${page}: ${target} (no such file)`);
          continue;
        }
        if (anchor && !statSync(path.join(root, rel)).isDirectory() && !headingSlugs(read(rel)).includes(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingSlugs(md: string): string[] {
  return withoutCode(md)
    .split('\n')
    .filter((l) => /^#+ /.test(l))
    .map((l) => l.replace(/^#+ /, '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
}
