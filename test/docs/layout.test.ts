import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/agent-proc.js';

// The "Code layout" table of CONTRIBUTING.md against the layer rules of .dependency-cruiser.cjs
// (the rules test/architecture.test.ts enforces on src/), both ways: every layer rule has its row,
// whose "may import" column lists exactly what the rule allows; every row that lists imports has
// its rule, and a row that says "anything" has none; every folder and top-level file of src/ has
// its row. A row's rule is the most specific rule whose `from.path` matches every path of the row
// (files with a rule of their own inside a folder, such as the config's building blocks, are held
// by the folder's rule too; their row lists their own, narrower, rule).

const DOC = join(REPO, 'CONTRIBUTING.md');

interface RawRule {
  name: string;
  from: { path?: string };
  to: { path?: string; pathNot?: string | string[] };
}

interface LayerRule {
  name: string;
  from: RegExp;
  /** What the rule lets its paths import besides themselves, as the doc writes it: `util/`, `probes/types`. */
  allowed: Set<string>;
}

/** The layer rules: the `layer-*` entries of `forbidden`. */
function layerRules(): LayerRule[] {
  // A fresh copy: the file is read as it is now, not as an earlier require() cached it.
  const require = createRequire(import.meta.url);
  const path = join(REPO, '.dependency-cruiser.cjs');
  delete require.cache[require.resolve(path)];
  const config = require(path) as { forbidden: RawRule[] };
  const strip = (p: string): string => {
    if (!p.startsWith('^src/')) throw new Error(`a layer rule path outside ^src/: ${p}`);
    return p.slice('^src/'.length);
  };
  return config.forbidden
    .filter((r) => r.name.startsWith('layer-'))
    .map((r) => {
      if (!r.from.path) throw new Error(`${r.name}: no from.path`);
      const self = r.from.path;
      const not = [r.to.pathNot ?? []].flat().filter((p) => p !== self);
      return { name: r.name, from: new RegExp(self), allowed: new Set(not.map(strip)) };
    });
}

interface Row {
  /** The row's paths under src/, as written: `util/`, `version.ts`, `config/fields.ts`. */
  paths: string[];
  /** What the row says it may import; `any` when it says no rule holds it. */
  mayImport: Set<string> | 'any';
  line: number;
}

/** The rows of the first table under "## Code layout": `| path | what lives there | may import |`. */
function layoutRows(md: string): Row[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => /^## Code layout\s*$/.test(l));
  if (start < 0) throw new Error('CONTRIBUTING.md has no "## Code layout" section');
  const rows: Row[] = [];
  let seenTable = false;
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
    const line = lines[i]!;
    if (!line.startsWith('|')) {
      if (seenTable) break;
      continue;
    }
    seenTable = true;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length !== 3)
      throw new Error(`CONTRIBUTING.md:${i + 1}: a layout row has 3 cells, this one ${cells.length}`);
    if (cells[0] === 'path' || /^-+$/.test(cells[0]!)) continue;
    const paths = [...cells[0]!.matchAll(/`src\/([^`]+)`/g)].map((m) => m[1]!);
    if (paths.length === 0 || cells[0]!.replace(/`src\/[^`]+`/g, '').replace(/[,\s]/g, '') !== '')
      throw new Error(
        `CONTRIBUTING.md:${i + 1}: the first cell must list paths in backticks, \`src/…\`, and nothing else`,
      );
    const names = [...cells[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    let mayImport: Row['mayImport'];
    if (names.length > 0) mayImport = new Set(names);
    else if (/^nothing of ours/.test(cells[2]!)) mayImport = new Set();
    else if (/^anything/.test(cells[2]!)) mayImport = 'any';
    else
      throw new Error(
        `CONTRIBUTING.md:${i + 1}: "may import" lists paths in backticks, or says "nothing of ours" or "anything"`,
      );
    rows.push({ paths, mayImport, line: i + 1 });
  }
  return rows;
}

const show = (s: Set<string> | 'any' | undefined): string =>
  s === undefined ? '(no row)' : s === 'any' ? 'anything (no rule)' : `[${[...s].sort().join(', ')}]`;
const same = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));
const where = (r: Row): string => `${r.paths.map((p) => `src/${p}`).join(', ')} (line ${r.line})`;

describe('CONTRIBUTING.md code layout against .dependency-cruiser.cjs', () => {
  const rules = layerRules();
  const rows = layoutRows(readFileSync(DOC, 'utf8'));
  const covers = (rule: LayerRule, row: Row): boolean => row.paths.every((p) => rule.from.test(`src/${p}`));
  /** The most specific rule of each row: of those that hold all its paths, the one that holds the fewest rows. */
  const ruleOf = new Map<Row, LayerRule | undefined>(
    rows.map((row) => {
      const holding = rules.filter((rule) => covers(rule, row));
      const breadth = (rule: LayerRule): number => rows.filter((r) => covers(rule, r)).length;
      holding.sort((a, b) => breadth(a) - breadth(b));
      return [row, holding[0]];
    }),
  );

  it('reads some rules and rows (the parsers found what they look for)', () => {
    expect(rules.length).toBeGreaterThan(5);
    expect(rows.length).toBeGreaterThan(5);
    const paths = rows.flatMap((r) => r.paths);
    expect(
      paths.filter((p, i) => paths.indexOf(p) !== i),
      'paths listed twice',
    ).toEqual([]);
  });

  it('every layer rule has its row, whose "may import" is exactly what the rule allows', () => {
    const wrong: string[] = [];
    for (const rule of rules) {
      const mine = rows.filter((row) => ruleOf.get(row) === rule);
      if (mine.length === 0) wrong.push(`${rule.name} (${rule.from.source}): no row; it allows ${show(rule.allowed)}`);
      for (const row of mine)
        if (row.mayImport === 'any' || !same(row.mayImport, rule.allowed))
          wrong.push(`${where(row)}: ${rule.name} allows ${show(rule.allowed)}, the row says ${show(row.mayImport)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('every row that lists what it may import has a layer rule; a row without one says "anything"', () => {
    const wrong = rows
      .filter((row) => (row.mayImport === 'any') !== (ruleOf.get(row) === undefined))
      .map((row) =>
        row.mayImport === 'any'
          ? `${where(row)} says "anything", but ${ruleOf.get(row)!.name} holds it: ${show(ruleOf.get(row)!.allowed)}`
          : `${where(row)} lists ${show(row.mayImport)}, but no layer rule holds it`,
      );
    expect(wrong).toEqual([]);
  });

  it('every folder and top-level file of src/ has a row, and every path of the table exists', () => {
    const entries = readdirSync(join(REPO, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.name.endsWith('.ts'))
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
    const listed = new Set(rows.flatMap((r) => r.paths));
    expect(
      entries.filter((e) => !listed.has(e)),
      'in src/ but not in the layout table',
    ).toEqual([]);
    expect(
      [...listed].filter((p) => !existsSync(join(REPO, 'src', p))).map((p) => `src/${p}`),
      'in the layout table but not in src/',
    ).toEqual([]);
  });
});
