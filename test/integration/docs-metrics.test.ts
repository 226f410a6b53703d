import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, freePort, REPO, tempDir, writeConfig } from '../support/agent-proc.js';
import { ensureDocker, removeContainer, runContainer, uniqueName } from '../support/docker.js';

// docs/metrics.md against a real scrape, both ways: every family the agent exports is documented,
// every documented family is exported, with the documented type and labels. The agent is the built
// `mcpwatch run` with a probe of every type (against its own /mcp and /health) and a tailed
// container (a real Docker engine and container, which writes LiteLLM's lines), so that every family
// is there and most have series. Families with no series still print their `# TYPE` line: the set of families is
// the scrape's `# TYPE` lines.

const DOC = join(REPO, 'docs/metrics.md');
const TOKEN = 'docs-metrics-token-0123456789';

// LiteLLM 1.77's own words (plain logs): an auth failure with its requester, the access line, an upstream failure.
const LOG = [
  {
    stream: 2,
    text: '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - Malformed API Key passed in. Ensure Key has `Bearer ` prefix.',
  },
  { stream: 2, text: 'Requester IP Address:10.0.0.9' },
  { stream: 1, text: 'INFO:     10.0.0.9:5000 - "POST /mcp/ HTTP/1.1" 401 Unauthorized' },
  {
    stream: 2,
    text: '10:00:01 - LiteLLM:WARNING: mcp_server_manager.py:557 - Error listing tools from mcp_pg: ConnectError',
  },
] as const;

const PROBES = ['docs-http', 'docs-catalog', 'docs-call', 'docs-guard', 'docs-client'];

interface Family {
  type: string;
  /** Label names seen on the family's samples (`le` of histogram buckets left out). */
  labels: Set<string>;
  samples: number;
}

/** The families of a text-format scrape: each `# TYPE` line, and the label names of its samples. */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm))
    out.set(m[1]!, { type: m[2]!, labels: new Set(), samples: 0 });
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
    const family =
      out.get(name) ?? out.get(name.replace(/_(bucket|sum|count)$/, '')) ?? expect.fail(`sample of no family: ${line}`);
    family.samples++;
    const labelText = line[name.length] === '{' ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    for (const l of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g))
      if (!(family.type === 'histogram' && l[1] === 'le')) family.labels.add(l[1]!);
  }
  return out;
}

interface DocRow {
  type: string;
  labels: Set<string>;
  line: number;
}

/** The rows of every `| family | type | labels | meaning |` table in the document. */
function documented(md: string): Map<string, DocRow> {
  const out = new Map<string, DocRow>();
  const lines = md.split('\n');
  let inTable = false;
  lines.forEach((line, i) => {
    const cells = line.startsWith('|')
      ? line
          .split(/(?<!\\)\|/)
          .slice(1, -1)
          .map((c) => c.trim())
      : undefined;
    if (!cells) return void (inTable = false);
    if (cells[0] === 'family' && cells[1] === 'type') return void (inTable = true);
    if (!inTable || /^-+$/.test(cells[0] ?? '')) return;
    const name = /^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$/.exec(cells[0]!)?.[1];
    if (!name) return void expect.fail(`docs/metrics.md:${i + 1}: the first cell must be one family name in backticks`);
    if (out.has(name)) expect.fail(`docs/metrics.md:${i + 1}: ${name} is documented twice`);
    const labels = new Set([...(cells[2] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    out.set(name, { type: cells[1]!, labels, line: i + 1 });
  });
  return out;
}

describe('docs/metrics.md against a real scrape', () => {
  const container = uniqueName('mcpwatch-docs');
  let agent: AgentProcess | undefined;
  let scrape: Map<string, Family>;
  let doc: Map<string, DocRow>;

  beforeAll(async () => {
    ensureDocker();
    // Each line on its stream (1 stdout, 2 stderr), in order, then the container stays up to be followed.
    const env = Object.fromEntries(LOG.map((l, i) => [`L${i}`, l.text]));
    const script = LOG.map((l, i) => `printf '%s\\n' "$L${i}"${l.stream === 2 ? ' >&2' : ''}`).join('; ');
    await runContainer({ name: container, env, cmd: ['sh', '-c', `${script}; exec sleep 3600`] });
    const dir = tempDir('mcpwatch-docs-');
    const port = await freePort();
    // A Codex entry for the client_config probe: no x-mcp-servers, so it has a finding to count.
    const codex = join(dir, 'config.toml');
    writeFileSync(
      codex,
      `[mcp_servers.mcpwatch]\nurl = "http://127.0.0.1:${port}/mcp"\nbearer_token_env_var = "DOCS_TOKEN"\n`,
    );
    const cfg = writeConfig(
      dir,
      `listen: 127.0.0.1:${port}
stateDir: ${join(dir, 'state')}
targets:
  self: { url: "http://127.0.0.1:${port}", apiKey: "\${DOCS_TOKEN}", mcpPath: /mcp, timeout: 5s, keys: { other: { apiKey: sk-docs-other-0123456789 } } }
probes:
  - { name: docs-http, type: http, target: self, key: other, path: /health, auth: false, every: 1s, timeout: 1s }
  - { name: docs-catalog, type: mcp_catalog, target: self, every: 1s, timeout: 1s, expect: { tools: [get_health, not_a_tool] } }
  - { name: docs-call, type: mcp_call, target: self, tool: get_health, every: 1s, timeout: 1s }
  - { name: docs-guard, type: auth_guard, target: self, every: 2s, timeout: 2s }
  - { name: docs-client, type: client_config, target: self, file: "${codex}", server: mcpwatch, every: 1s, timeout: 1s }
logs:
  containers:
    - { name: ${container}, from: beginning }
mcpServer: { enabled: true, token: "\${DOCS_TOKEN}" }
`,
    );
    agent = await AgentProcess.start(cfg, port, { DOCS_TOKEN: TOKEN });
    const a = agent;
    await a.waitFor(
      async () => {
        const text = await a.text('/metrics');
        const ran = PROBES.every((probe) =>
          new RegExp(`^mcp_probe_last_run_timestamp_seconds\\{probe="${probe}"`, 'm').test(text),
        );
        return (
          ran &&
          /^mcpwatch_log_matches_total\{[^}]*kind="malformed_key"[^}]*\} [1-9]/m.test(text) &&
          /^mcpwatch_log_matches_total\{[^}]*kind="upstream_list_failed"[^}]*\} [1-9]/m.test(text) &&
          /^mcp_client_config_findings\{/m.test(text)
        );
      },
      30_000,
      'a run of every probe, the log matches and the client finding in /metrics',
    );
    scrape = families(await a.text('/metrics'));
    doc = documented(readFileSync(DOC, 'utf8'));
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainer(container);
  });

  it('the scrape has every kind of family (the config exercised what it should)', () => {
    for (const name of ['mcp_probe_success', 'mcp_catalog_tools', 'mcp_auth_enforced', 'mcp_client_config_findings'])
      expect(scrape.get(name)?.samples, name).toBeGreaterThan(0);
    for (const name of ['mcpwatch_log_lines_total', 'mcpwatch_docker_up', 'process_cpu_seconds_total'])
      expect(scrape.get(name)?.samples, name).toBeGreaterThan(0);
  });

  it('every family in the scrape is documented in docs/metrics.md', () => {
    const missing = [...scrape.keys()].filter((name) => !doc.has(name));
    expect(missing, 'families exported but not documented in docs/metrics.md').toEqual([]);
  });

  it('every family documented in docs/metrics.md is in the scrape, with the type the scrape gives it', () => {
    const absent = [...doc.entries()].filter(([name]) => !scrape.has(name)).map(([n, r]) => `${n} (line ${r.line})`);
    expect(absent, 'families documented in docs/metrics.md but not exported').toEqual([]);
    const wrongType = [...doc.entries()]
      .filter(([name, row]) => scrape.has(name) && scrape.get(name)!.type !== row.type)
      .map(([name, row]) => `${name}: documented ${row.type}, exported ${scrape.get(name)!.type} (line ${row.line})`);
    expect(wrongType).toEqual([]);
  });

  it('the documented labels are the labels of the series (families with series)', () => {
    const wrong = [...doc.entries()]
      .filter(([name]) => (scrape.get(name)?.samples ?? 0) > 0)
      .filter(([name, row]) => [...scrape.get(name)!.labels].sort().join() !== [...row.labels].sort().join())
      .map(
        ([name, row]) =>
          `${name}: documented [${[...row.labels].join(', ')}], exported [${[...scrape.get(name)!.labels].join(', ')}] (line ${row.line})`,
      );
    expect(wrong).toEqual([]);
  });
});
