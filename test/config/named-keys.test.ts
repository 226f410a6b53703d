import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossCheck } from '../../src/config/cross-check.js';
import { loadConfig } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problems.js';
import { secretsOf } from '../../src/config/secrets.js';
import { targetAs } from '../../src/config/target.js';
import { ProbeRecorder } from '../../src/metrics/probe-recorder.js';
import { statusView } from '../../src/runtime/status-view.js';
import { ResultStore } from '../../src/scheduler/history.js';
import { assembleResult } from '../../src/scheduler/run-result.js';
import { Redactor } from '../../src/util/redact.js';
import { tempDir } from '../support/agent-proc.js';
import { samples } from '../support/exposition.js';
import { configOf, recorderOnTestMetrics } from '../support/runtime-config.js';

// A target's named keys (`targets.NAME.keys`, issue 27) and probes that run as one (`key`): the config's checks, the
// key files read, the values masked, the target a keyed probe runs with, and where the key's name (never its value)
// shows: the result's details and mcp_probe_key_info.

const check = (raw: Record<string, unknown>) => crossCheck(raw).map((p) => [p.segs, p.message]);
const GW = { url: 'http://gw', apiKey: 'sk-main', keys: { codex: { apiKey: 'sk-codex' }, webui: { apiKey: 'sk-w' } } };

describe('named keys: config checks', () => {
  it.each<[string, Record<string, unknown>, Array<[PropertyKey[], string]>]>([
    [
      'keys and a probe that runs as one',
      { targets: { gw: GW }, probes: [{ name: 'p', target: 'gw', key: 'codex' }] },
      [],
    ],
    [
      'a mistyped key: did you mean',
      { targets: { gw: GW }, probes: [{ name: 'p', target: 'gw', key: 'codx' }] },
      [[['probes', 0, 'key'], 'unknown key "codx" of target "gw" (did you mean "codex"?)']],
    ],
    [
      'an unknown key far from any: the keys there are',
      { targets: { gw: GW }, probes: [{ name: 'p', target: 'gw', key: 'grafana' }] },
      [[['probes', 0, 'key'], 'unknown key "grafana" of target "gw" (keys: codex, webui)']],
    ],
    [
      'a target without keys',
      { targets: { gw: { url: 'http://gw' } }, probes: [{ name: 'p', target: 'gw', key: 'codex' }] },
      [
        [
          ['probes', 0, 'key'],
          'unknown key "codex" of target "gw": target "gw" has no keys (set targets.gw.keys.codex)',
        ],
      ],
    ],
    [
      "the auth guard's outOfScope key is checked too",
      {
        targets: { gw: GW },
        probes: [{ name: 'g', type: 'auth_guard', target: 'gw', outOfScope: { key: 'webu', tool: 't' } }],
      },
      [[['probes', 0, 'outOfScope', 'key'], 'unknown key "webu" of target "gw" (did you mean "webui"?)']],
    ],
    [
      "a discover template's key",
      { targets: { gw: { ...GW, discover: { probes: [{ type: 'mcp_catalog', key: 'codexx' }] } } } },
      [
        [
          ['targets', 'gw', 'discover', 'probes', 0, 'key'],
          'unknown key "codexx" of target "gw" (did you mean "codex"?)',
        ],
      ],
    ],
    [
      'a named key with both, with neither, empty',
      {
        targets: {
          gw: { url: 'http://gw', keys: { a: { apiKey: 'k', apiKeyFile: '/f' }, b: {}, c: { apiKey: '' } } },
        },
      },
      [
        [['targets', 'gw', 'keys', 'a'], 'set apiKey or apiKeyFile, not both'],
        [['targets', 'gw', 'keys', 'b'], 'set apiKey or apiKeyFile'],
        [['targets', 'gw', 'keys', 'c'], 'apiKey is empty (an unset variable?): set it, or apiKeyFile'],
      ],
    ],
    [
      'out_of_scope asked for without outOfScope',
      { targets: { gw: GW }, probes: [{ name: 'g', type: 'auth_guard', target: 'gw', checks: ['out_of_scope'] }] },
      [
        [
          ['probes', 0, 'checks'],
          'out_of_scope calls a tool with a named key outside its grant: set outOfScope ({ key: NAME, tool: TOOL, arguments: {...} }), or leave the check out',
        ],
      ],
    ],
  ])('%s', (_what, raw, expected) => {
    expect(check(raw)).toEqual(expected);
  });

  it('the schema takes keys on a target and key on the probe types that send the gateway key', () => {
    const c = configOf(`targets:
  gw: { url: http://gw, apiKey: sk-main-0123456789, keys: { codex: { apiKey: sk-codex-0123456789 } } }
probes:
  - { name: c, type: mcp_catalog, target: gw, key: codex, expect: { serversAbsent: [mcp_pg], toolsAbsent: [mcp_pg-q] } }
  - { name: k, type: mcp_call, target: gw, key: codex, tool: mcp_fs-read }
  - { name: g, type: auth_guard, target: gw, key: codex, outOfScope: { key: codex, tool: mcp_pg-q, arguments: { sql: SELECT 1 } } }
  - { name: h, type: http, target: gw, key: codex, path: /health }
  - { name: g2, type: auth_guard, target: gw }
`);
    expect(c.targets.gw!.keys).toEqual({ codex: { apiKey: 'sk-codex-0123456789' } });
    expect(c.probes.map((p) => ('key' in p ? p.key : undefined))).toEqual([
      'codex',
      'codex',
      'codex',
      'codex',
      undefined,
    ]);
    const guard = (name: string) => c.probes.find((p) => p.name === name)!;
    // out_of_scope runs only where outOfScope says what to call.
    expect('checks' in guard('g') && guard('g')).toMatchObject({ checks: expect.arrayContaining(['out_of_scope']) });
    expect('checks' in guard('g2') && guard('g2')).not.toMatchObject({
      checks: expect.arrayContaining(['out_of_scope']),
    });
  });
});

describe('named keys: loading and masking', () => {
  it('reads a key file; an empty one, or a named key equal to the main key, is a problem', async () => {
    const dir = tempDir('named-keys-');
    const codex = join(dir, 'codex');
    writeFileSync(codex, 'sk-codex-from-file-0123\n');
    writeFileSync(join(dir, 'empty'), '');
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      `targets:\n  gw: { url: http://gw, apiKey: sk-main-0123456789, keys: { codex: { apiKeyFile: ${codex} } } }\n`,
    );
    const r = await loadConfig(good, {});
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.targets.gw!.keys!.codex!.apiKey).toBe('sk-codex-from-file-0123');
    expect(secretsOf(r.config)).toContain('sk-codex-from-file-0123');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `targets:\n  gw:\n    url: http://gw\n    apiKey: sk-main-0123456789\n    keys:\n` +
        `      e: { apiKeyFile: ${join(dir, 'empty')} }\n      same: { apiKey: sk-main-0123456789 }\n` +
        `      gone: { apiKeyFile: ${join(dir, 'nope')} }\n`,
    );
    const b = await loadConfig(bad, {});
    expect(b.ok).toBe(false);
    const problems = b.ok ? [] : b.problems.map(formatProblem);
    expect(problems).toEqual([
      `targets.gw.keys.e.apiKeyFile: ${join(dir, 'empty')} is empty`,
      "targets.gw.keys.same: is the target's own key (apiKey): a named key is another credential, or a probe with key: same runs as the main key",
      `targets.gw.keys.gone.apiKeyFile: cannot read ${join(dir, 'nope')}: no such file`,
    ]);
    // No problem quotes a key.
    expect(problems.join('\n')).not.toContain('sk-main');
  });
});

describe('named keys: the run', () => {
  const c = configOf(`targets:
  gw: { url: http://gw, apiKey: sk-main-0123456789, keys: { codex: { apiKey: sk-codex-0123456789 } } }
probes:
  - { name: c, type: mcp_catalog, target: gw, key: codex }
  - { name: d, type: mcp_catalog, target: gw }
`);
  const gw = c.targets.gw!;

  it('targetAs: the named key in apiKey and its name in keyName; without key, the target itself', () => {
    expect(targetAs(gw, 'codex')).toMatchObject({ apiKey: 'sk-codex-0123456789', keyName: 'codex', url: 'http://gw' });
    expect(targetAs(gw, undefined)).toBe(gw);
    // An unknown name (the config refuses it) sends no key rather than the main one.
    expect(targetAs(gw, 'nope').apiKey).toBeUndefined();
  });

  it("the result's details name the key; its value shows nowhere", () => {
    const redactor = new Redactor();
    redactor.addSecrets(secretsOf(c));
    const facts = {
      trigger: 'cli' as const,
      startedAt: 0,
      durationMs: 1,
      phases: {},
      steps: [],
      tls: undefined,
      oauth: undefined,
    };
    const keyed = assembleResult(c.probes[0]!, { outcome: 'ok', reason: 'r sk-codex-0123456789' }, facts, redactor);
    expect(keyed.details).toEqual({ key: 'codex' });
    expect(JSON.stringify(keyed)).not.toContain('sk-codex-0123456789');
    const plain = assembleResult(c.probes[1]!, { outcome: 'ok', reason: 'r' }, facts, redactor);
    expect(plain.details).toBeUndefined();
  });

  it("/status: a keyed probe's key, by name; none on the others", () => {
    const store = new ResultStore();
    const doc = statusView({
      version: '1.2.3',
      now: 1_000,
      startedAt: 0,
      configPath: '/etc/mcpwatch.yaml',
      loadedAt: 0,
      lastReload: { at: 0, ok: true, problems: [] },
      config: c,
      shard: { index: 0, total: 1, probes: 2, ofProbes: 2, tailsLogs: false },
      record: (name) => store.peek(name),
      inFlight: () => false,
    });
    expect(doc.probes.map((p) => [p.name, p.key])).toEqual([
      ['c', 'codex'],
      ['d', undefined],
    ]);
    expect(JSON.stringify(doc)).not.toContain('sk-codex-0123456789');
  });

  it('mcp_probe_key_info: one series per keyed probe, moved when the key changes, gone with the probe', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new ProbeRecorder(m));
    const series = async () => samples(await text(), 'mcp_probe_key_info').map((s) => ({ ...s.labels, v: s.value }));
    rec.declare(c.probes);
    expect(await series()).toEqual([{ probe: 'c', target: 'gw', key: 'codex', v: 1 }]);
    rec.declare([{ name: 'c', target: 'gw', type: 'mcp_catalog', key: 'webui' }]);
    expect(await series()).toEqual([{ probe: 'c', target: 'gw', key: 'webui', v: 1 }]);
    rec.declare([{ name: 'c', target: 'gw', type: 'mcp_catalog' }]);
    expect(await series()).toEqual([]);
    rec.declare([{ name: 'c', target: 'gw', type: 'mcp_catalog', key: 'codex' }]);
    rec.declare([]);
    expect(await series()).toEqual([]);
  });
});
