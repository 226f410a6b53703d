import { describe, expect, it } from 'vitest';
import { formatFinding } from '../../src/cli/check-clients.js';
import type { LiveResult } from '../../src/cli/client-live.js';
import {
  causesOf,
  causesSummary,
  liveLine,
  probeLine,
  type CauseInput,
  type ReportCause,
  type ReportProbe,
} from '../../src/cli/report-causes.js';
import { failuresOf } from '../../src/cli/report-render.js';
import { serverDownFinding, unknownServerFinding } from '../../src/clients/live-findings.js';
import type { Finding } from '../../src/clients/types.js';
import type { ServerState } from '../../src/probes/types.js';
import { noCatalog } from '../support/catalog-details.js';

// The report's failures grouped by cause (issue 30), from tables of cases: a server down once, with every result it
// explains under it; each client entry's own errors once; anything else a cause of its own.

const RUN = {
  target: 'gw',
  url: 'http://gw',
  trigger: 'cli',
  startedAt: '2026-12-02T18:40:00.000Z',
  durationMs: 10,
  phases: {},
  steps: [],
} as const;

function probe(name: string, type: string, outcome: string, reason: string, details?: object): ReportProbe {
  return { ...RUN, probe: name, type, outcome, reason, success: outcome === 'ok', details } as unknown as ReportProbe;
}

const INTERNAL: ServerState = { up: false, tools: 0, reason: 'internal', said: 'internal (HTTP 500)' };
const NO_TOOLS: ServerState = { up: false, tools: 0, reason: 'no_tools' };
const UP: ServerState = { up: true, tools: 5 };

/** A catalog run: ok unless a server in it is down and `fails`. */
const catalog = (name: string, servers: Record<string, ServerState>, fails = true): ReportProbe => {
  const down = Object.entries(servers).filter(([, s]) => !s.up);
  const failed = fails && down.length > 0;
  const words = down.map(([n, s]) => `${n}: ${s.up ? '' : (s.said ?? s.reason)} — hint`).join('; ');
  return probe(
    name,
    'mcp_catalog',
    failed ? 'expectation_failed' : 'ok',
    failed ? `server down: ${words} — 5 tools` : `5 tools${down.length ? `; down: ${words}` : ''}`,
    noCatalog({ servers }),
  );
};

/** A call to a down server's tool, in the call probe's words. */
const call = (name: string, server: string, words = 'the gateway has no session to it (its words: MCP client…)') =>
  probe(name, 'mcp_call', 'tool_error', `${server}-echo failed: server ${server} is down: ${words}`, {
    tool: `${server}-echo`,
    isError: true,
    textBytes: 3,
    text: 'x',
  });

const finding = (file: string, entry: string, f: Omit<Finding, 'file' | 'server' | 'client'>): Finding => ({
  ...f,
  file,
  server: entry,
  client: 'codex',
});
const down = (file: string, entry: string, server: string, words = 'the gateway says internal — hint'): Finding =>
  finding(file, entry, serverDownFinding(4, server, words, 'the mcp_catalog probes of target gw'));
const bareKey = (file: string, entry: string): Finding =>
  finding(file, entry, {
    line: 3,
    code: 'missing_bearer_prefix',
    severity: 'error',
    message: 'LITELLM_KEY lacks "Bearer "',
    fix: 'add it',
  });
const unknown = (file: string, entry: string): Finding =>
  finding(file, entry, unknownServerFinding(4, ['mcp_nope'], 'the gateway refuses the request for it'));
const live = (file: string, server: string, outcome: string, reason = 'as sent'): LiveResult =>
  ({ file, server, outcome, reason }) as LiveResult;

/** A client_config run of the config's own, with its details. */
const clientProbe = (name: string, file: string, entry: string, outcome: string, findings: Finding[]): ReportProbe =>
  probe(name, 'client_config', outcome, `as Codex CLI sends it: ${outcome}`, {
    client: 'Codex CLI',
    file,
    server: entry,
    line: 1,
    findings: findings.map(({ line, code, severity, message, fix }) => ({ line, code, severity, message, fix })),
    live: { outcome, reason: outcome },
  });

function input(over: Partial<CauseInput> & { findings?: Finding[]; live?: LiveResult[]; errors?: string[] }) {
  return {
    probes: over.probes ?? [],
    clients: {
      files: over.clients?.files ?? ['a.toml', 'b.toml'],
      findings: over.findings ?? [],
      live: over.live ?? [],
      errors: over.errors ?? [],
    },
    logs: over.logs ?? null,
  };
}

// Shared by the cases.
const cat = catalog('cat', { ev: INTERNAL, fs: UP });
const okCat = catalog('cat', { ev: INTERNAL, fs: UP }, false);
const echo = call('echo', 'ev');
const warned = down('a.toml', 'codex', 'ev');
const bare = bareKey('b.toml', 'codex-bare');
const bareLive = live('b.toml', 'codex-bare', 'auth_rejected', 'key sent without "Bearer " prefix?');
const plain = probe('plain', 'http', 'connect_error', 'connection refused');
const guard = probe('guard', 'auth_guard', 'auth_not_enforced', 'gw accepted no key');

/** A result as the cases write it: its text, `~` before one that does not fail the report. */
type Expected = { kind: ReportCause['kind']; label: string; title?: string; results: string[] };

interface Case {
  name: string;
  input: ReturnType<typeof input>;
  /** The servers each failed run is about, as its type says (report.ts asks the table). */
  about?: Record<string, string[]>;
  causes: Expected[];
  summary?: string;
}

const cases: Case[] = [
  { name: 'all green: no cause', input: input({ probes: [probe('x', 'http', 'ok', '200')] }), causes: [] },
  {
    name: 'a server down that fails nothing (an ok catalog noting it, a warning) is no cause',
    input: input({ probes: [okCat], findings: [warned], live: [live('a.toml', 'codex', 'ok')] }),
    causes: [],
  },
  {
    name: 'the outage once: the catalog showing it down, the call to its tool, the entry naming it',
    input: input({ probes: [cat, echo], findings: [warned], live: [live('a.toml', 'codex', 'ok')] }),
    about: { cat: ['ev'], echo: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 3 results)',
        title: 'server ev down: internal (HTTP 500)',
        results: [probeLine(cat), probeLine(echo), `~${formatFinding(warned)}`],
      },
    ],
    summary: '1 cause: server ev down (explains 3 results)',
  },
  {
    name: 'the outage and one broken client entry: 2 causes, the entry’s finding and live try one',
    input: input({
      probes: [cat, echo, probe('fine', 'http', 'ok', '200')],
      findings: [warned, bare],
      live: [live('a.toml', 'codex', 'ok'), bareLive],
    }),
    about: { cat: ['ev'], echo: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 3 results)',
        results: [probeLine(cat), probeLine(echo), `~${formatFinding(warned)}`],
      },
      {
        kind: 'client_entry',
        label: 'codex-bare: 1 error',
        title: 'client entry codex-bare in b.toml: 1 error, its live try auth_rejected',
        results: [formatFinding(bare), liveLine(bareLive)],
      },
    ],
    summary: '2 causes: server ev down (explains 3 results), codex-bare: 1 error',
  },
  {
    name: 'a call alone says its server is down: the cause, in the call’s words',
    input: input({ probes: [echo] }),
    about: { echo: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 1 result)',
        title: 'server ev down: the gateway has no session to it (its words: MCP client…)',
        results: [probeLine(echo)],
      },
    ],
  },
  {
    name: 'the catalog’s word beats a client try’s, whichever comes first; a call to it failing otherwise joins it',
    input: input({
      probes: [probe('slow', 'mcp_call', 'timeout', 'no answer in 10s'), catalog('cat', { ev: NO_TOOLS })],
      findings: [warned],
    }),
    about: { slow: ['ev'], cat: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 3 results)',
        title: 'server ev down: no_tools',
        results: [
          probeLine(probe('slow', 'mcp_call', 'timeout', 'no answer in 10s')),
          probeLine(catalog('cat', { ev: NO_TOOLS })),
          `~${formatFinding(warned)}`,
        ],
      },
    ],
  },
  {
    name: 'an entry naming only the down server, its live try failed and no error of its own: the outage’s',
    input: input({ probes: [cat], findings: [warned], live: [live('a.toml', 'codex', 'timeout')] }),
    about: { cat: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 3 results)',
        results: [probeLine(cat), `~${formatFinding(warned)}`, liveLine(live('a.toml', 'codex', 'timeout'))],
      },
    ],
  },
  {
    name: 'an entry with errors of its own and a server_down warning: the warning under the server, the rest its own',
    input: input({
      probes: [cat],
      findings: [down('b.toml', 'codex-bare', 'ev'), bare, unknown('b.toml', 'codex-bare')],
      live: [bareLive],
    }),
    about: { cat: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 2 results)',
        results: [probeLine(cat), `~${formatFinding(down('b.toml', 'codex-bare', 'ev'))}`],
      },
      {
        kind: 'client_entry',
        label: 'codex-bare: 2 errors',
        results: [formatFinding(bare), formatFinding(unknown('b.toml', 'codex-bare')), liveLine(bareLive)],
      },
    ],
  },
  {
    name: 'a catalog showing two servers down is under both',
    input: input({ probes: [catalog('both', { ev: INTERNAL, pg: NO_TOOLS })] }),
    about: { both: ['ev', 'pg'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 1 result)',
        results: [probeLine(catalog('both', { ev: INTERNAL, pg: NO_TOOLS }))],
      },
      {
        kind: 'server_down',
        label: 'server pg down (explains 1 result)',
        results: [probeLine(catalog('both', { ev: INTERNAL, pg: NO_TOOLS }))],
      },
    ],
  },
  {
    name: 'failures no server explains, a cause each: a plain check, a guard (about no server), a file, a log',
    input: input({
      probes: [cat, plain, guard],
      errors: ['b.toml: not a client config mcpwatch knows'],
      logs: { containers: [{ name: 'litellm' }, { name: 'gone', error: 'no container named gone' }] },
    }),
    about: { cat: ['ev'] },
    causes: [
      { kind: 'server_down', label: 'server ev down (explains 1 result)', results: [probeLine(cat)] },
      { kind: 'failure', label: 'probe plain: connect_error', title: probeLine(plain), results: [probeLine(plain)] },
      { kind: 'failure', label: 'probe guard: auth_not_enforced', results: [probeLine(guard)] },
      {
        kind: 'failure',
        label: 'b.toml: not checked',
        title: 'b.toml: not a client config mcpwatch knows',
        results: ['b.toml: not a client config mcpwatch knows'],
      },
      { kind: 'failure', label: 'log of gone: not read', results: ['log of gone: no container named gone'] },
    ],
  },
  {
    name: 'the same entry name in two files: two causes, each label naming its file',
    input: input({ findings: [bareKey('a.toml', 'litellm'), bareKey('b.toml', 'litellm')] }),
    causes: [
      {
        kind: 'client_entry',
        label: 'litellm (a.toml): 1 error',
        results: [formatFinding(bareKey('a.toml', 'litellm'))],
      },
      {
        kind: 'client_entry',
        label: 'litellm (b.toml): 1 error',
        results: [formatFinding(bareKey('b.toml', 'litellm'))],
      },
    ],
  },
  {
    name: 'an entry whose live try failed with no finding: its own cause',
    input: input({ live: [live('a.toml', 'codex', 'connect_error', 'refused')] }),
    causes: [
      {
        kind: 'client_entry',
        label: 'codex: live connect_error',
        title: 'client entry codex in a.toml: live connect_error',
        results: [liveLine(live('a.toml', 'codex', 'connect_error', 'refused'))],
      },
    ],
  },
  {
    name: 'the config’s own client probes: one failing for the outage under it, one with an error its entry’s',
    input: input({
      probes: [
        cat,
        clientProbe('right', 'c.toml', 'codex', 'timeout', [down('c.toml', 'codex', 'ev')]),
        clientProbe('broken', 'b.toml', 'codex-bare', 'auth_rejected', [bare]),
      ],
      findings: [bare],
    }),
    about: { cat: ['ev'] },
    causes: [
      {
        kind: 'server_down',
        label: 'server ev down (explains 2 results)',
        results: [probeLine(cat), probeLine(clientProbe('right', 'c.toml', 'codex', 'timeout', []))],
      },
      {
        kind: 'client_entry',
        label: 'codex-bare: 1 error',
        results: [formatFinding(bare), probeLine(clientProbe('broken', 'b.toml', 'codex-bare', 'auth_rejected', []))],
      },
    ],
  },
];

/** A cause as the cases write it. */
const written = (c: ReportCause, e?: Expected): Expected => ({
  kind: c.kind,
  label: c.label,
  ...(e?.title !== undefined && { title: c.title }),
  results: c.results.map((r) => `${r.failed ? '' : '~'}${r.text}`),
});

describe('causesOf', () => {
  it.each(cases)('$name', ({ input: i, about, causes: expected, summary }) => {
    const causes = causesOf(i, about);
    expect(causes.map((c, n) => written(c, expected[n]))).toEqual(expected);
    // Every line of `failures` is under a cause, and nothing else that fails.
    const failed = new Set(causes.flatMap((c) => c.results.filter((r) => r.failed).map((r) => r.text)));
    expect([...failed].sort()).toEqual([...new Set(failuresOf(i))].sort());
    if (summary) expect(causesSummary(causes)).toBe(summary);
  });

  it('the summary names the first five causes and counts the rest', () => {
    const many = causesOf(
      input({ probes: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => probe(n, 'http', 'timeout', 'slow')) }),
    );
    expect(causesSummary(many)).toBe(
      '7 causes: probe a: timeout, probe b: timeout, probe c: timeout, probe d: timeout, probe e: timeout, and 2 more',
    );
  });
});
