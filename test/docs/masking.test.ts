import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskHeaders, Redactor } from '../../src/util/redact.js';
import { REPO } from '../support/agent-proc.js';

// The masking examples of the documents against what the redactor really prints, so they cannot drift:
// the table of docs/configuration.md ("Logging and secrets": a key, whether it is configured, and how it
// shows in a key header and in text) row by row, then every masked example anywhere in README.md and
// docs/*.md (a header line of a printed run, `Bearer sk-…cdef` in prose) as one of the table's outputs.

const DOCS = [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (doc: string): string => readFileSync(join(REPO, doc), 'utf8');

interface Row {
  input: string;
  configured: boolean;
  /** Shown in a key header sent as `Bearer <input>` and as `<input>`; undefined where the row says `—`. */
  bearer: string | undefined;
  raw: string | undefined;
  inText: string;
}

const TABLE_HEAD = /^\| key or token \| configured \| in a key header, sent as `Bearer <key>` \|/;

/** The first code span of a cell, or undefined for `—`. */
function code(cell: string): string | undefined {
  if (cell === '—') return undefined;
  const m = /^`([^`]+)`/.exec(cell);
  if (!m) throw new Error(`not a code span: ${cell}`);
  return m[1];
}

function tableRows(): Row[] {
  const lines = text('docs/configuration.md').split('\n');
  const head = lines.findIndex((l) => TABLE_HEAD.test(l));
  if (head < 0) throw new Error('docs/configuration.md: the masking table is not there');
  const rows: Row[] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const [input, configured, bearer, raw, inText] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    rows.push({
      input: code(input!)!,
      configured: configured === 'yes',
      bearer: code(bearer!),
      raw: code(raw!),
      inText: code(inText!)!,
    });
  }
  return rows;
}

const ROWS = tableRows();

/** The redactor of a config whose secrets are the table's configured keys. */
function redactor(): Redactor {
  const r = new Redactor();
  r.addSecrets(ROWS.filter((row) => row.configured).map((row) => row.input));
  return r;
}

/**
 * A header as `mcpwatch probe`, `/probe` and the report show it: masked when the step is logged (maskHeaders
 * with the redactor), then the run's result masked whole (maskDeep), as scheduler/run-result.ts does.
 */
function shownHeader(r: Redactor, name: string, value: string): string {
  return r.maskDeep({ headers: maskHeaders({ [name]: value }, r) }).headers[name]!;
}

/** Text as it is logged or served: masked once or more (the logger masks a message twice). */
function shownText(r: Redactor, s: string): string {
  const once = r.mask(s);
  expect(r.mask(once), `masking "${once}" again`).toBe(once);
  return once;
}

/** Where a masked example is in the documents: `docs/probes.md:223`. */
interface Example {
  at: string;
  value: string;
  header: boolean;
}

const HEADER_LINE = /^\s*(authorization|proxy-authorization|x-litellm-api-key):\s*(.+?)\s*$/i;
const MASKED =
  /(?:\b(?:Bearer|Basic) )?(?:sk-…[A-Za-z0-9_-]+|sk-\*\*\*|eyJ\*\*\*|[a-z][a-z0-9+.-]*:\/\/[^\s:@/`]*:\*\*\*@[^\s`)]*)/g;

function examples(): Example[] {
  const out: Example[] = [];
  for (const doc of DOCS) {
    text(doc)
      .split('\n')
      .forEach((line, i) => {
        const at = `${doc}:${i + 1}`;
        const header = HEADER_LINE.exec(line);
        if (header) out.push({ at, value: header[2]!, header: true });
        else for (const m of line.matchAll(MASKED)) out.push({ at, value: m[0], header: false });
      });
  }
  return out;
}

describe('the masking examples of the documents', () => {
  it('the table of configuration.md has the kinds of keys it must show', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(6);
    const inputs = ROWS.map((r) => r.input);
    expect(inputs.some((k) => k.startsWith('sk-') && k.length >= 20)).toBe(true);
    expect(inputs.some((k) => k.startsWith('sk-') && k.length < 20)).toBe(true);
    expect(ROWS.some((r) => !r.configured && r.input.startsWith('sk-'))).toBe(true);
  });

  it.each(ROWS.map((row) => [row.input, row] as const))('%s: what the redactor prints', (_, row) => {
    const r = redactor();
    for (const name of ['authorization', 'x-litellm-api-key']) {
      if (row.bearer !== undefined) expect(shownHeader(r, name, `Bearer ${row.input}`), name).toBe(row.bearer);
      if (row.raw !== undefined) expect(shownHeader(r, name, row.input), name).toBe(row.raw);
    }
    expect(shownText(r, row.input)).toBe(row.inText);
    expect(shownText(r, `Passed in: ${row.input}.`)).toBe(`Passed in: ${row.inText}.`);
  });

  it('every masked example in README.md and docs/*.md is what the redactor prints for a key of the table', () => {
    const r = redactor();
    const asHeader = new Set(
      ROWS.flatMap((row) => [
        ...(row.bearer === undefined ? [] : [shownHeader(r, 'authorization', `Bearer ${row.input}`)]),
        ...(row.raw === undefined ? [] : [shownHeader(r, 'authorization', row.input)]),
      ]),
    );
    const anywhere = new Set([...asHeader, ...ROWS.map((row) => shownText(r, row.input))]);
    const found = examples();
    // The extraction finds them: the printed runs of probes.md and deployment.md, and the prose.
    for (const doc of ['docs/probes.md', 'docs/deployment.md', 'docs/configuration.md', 'docs/logs.md'])
      expect(
        found.some((e) => e.at.startsWith(`${doc}:`)),
        doc,
      ).toBe(true);
    const wrong = found.filter((e) => !(e.header ? asHeader : anywhere).has(e.value)).map((e) => `${e.at}: ${e.value}`);
    expect(wrong, `masked examples the redactor does not print (shown: ${[...anywhere].join(', ')})`).toEqual([]);
  });
});
