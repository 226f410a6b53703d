import { processEras } from '../../../src/probes/mcp/eras.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/probes/mcp-call/run.js';
import { FakeMcpGateway } from '../../support/fake-mcp.js';
import { failureOf, probeHarness } from '../../support/run-harness.js';

// The call probe's run against the MCP SDK's own server (test/support/fake-mcp.ts): initialize and
// tools/call through it, the result checked; an error result, an unknown tool and a tool that does not
// answer each told apart.

const KEY = 'sk-call-run-0123456789abcdef';

/** The config's one call probe, run once through its run() in the scheduler's context, ended when its time is up. */
const runOnce = probeHarness('mcp_call', run, KEY);

/** What a run against the SDK 1.x fake speaks: the 2025 handshake after its refused server/discover. */
const LEGACY = { era: 'legacy', version: '2025-11-25', via: 'initialize' };

// Each test negotiates afresh (the agent's memory of a target's era is the process's).
beforeEach(() => processEras.clear());

describe('mcp_call run against the SDK MCP server', () => {
  let fake: FakeMcpGateway;
  const calls: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    fake = await new FakeMcpGateway({ key: KEY }).start();
    fake.tools = [
      {
        name: 'mcp_fs-read',
        call: (args) => {
          calls.push(args);
          return { content: [{ type: 'text', text: `hello ${String(args.who ?? 'world')}` }] };
        },
      },
      { name: 'mcp_fs-fail', call: () => ({ isError: true, content: [{ type: 'text', text: 'permission denied' }] }) },
      // LiteLLM 1.77.1's answer for a tool of a server that failed to start; 1.108+'s, the same as for an unknown tool.
      {
        name: 'mcp_ev-echo',
        call: () => ({ isError: false, content: [{ type: 'text', text: 'MCP client session is not initialized' }] }),
      },
      {
        name: 'mcp_ev-add',
        call: () => ({ isError: true, content: [{ type: 'text', text: 'Error: Tool add not found' }] }),
      },
      {
        name: 'mcp_db-stuck',
        call: (_args, signal) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => resolve({ content: [{ type: 'text', text: 'late' }] })),
          ),
      },
    ];
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    calls.length = 0;
  });

  it('a result with the expected text: ok, the arguments sent, the call timed as its own phase', async () => {
    const { out, steps, phases } = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, servers: [mcp_fs], tool: mcp_fs-read, arguments: { who: probe }, ' +
        'expect: { contains: "hello" } }',
    );
    expect(out).toEqual({
      outcome: 'ok',
      reason: 'mcp_fs-read returned hello probe',
      details: { tool: 'mcp_fs-read', isError: false, textBytes: 11, text: 'hello probe', protocol: LEGACY },
    });
    expect(calls).toEqual([{ who: 'probe' }]);
    expect(phases).toHaveProperty('initialize');
    expect(phases).toHaveProperty('call_tool');
    expect(steps.find((s) => s.msg === 'tools/call mcp_fs-read')?.data).toEqual({ arguments: { who: 'probe' } });
    expect(fake.requests.find((r) => r.rpc === 'tools/call')!.headers['x-mcp-servers']).toBe('mcp_fs');
    expect(fake.sessionsClosed).toBe(fake.sessionsOpened);
  });

  it('a result whose text does not match: expectation_failed', async () => {
    const { out } = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, tool: mcp_fs-read, expect: { matches: "^bye" } }',
    );
    expect(out).toMatchObject({
      outcome: 'expectation_failed',
      reason: 'mcp_fs-read result does not match /^bye/: got "hello world"',
    });
  });

  it('isError: true is tool_error; with expect.isError it is what was wanted', async () => {
    const failed = await runOnce(fake.url, '{ name: c, type: mcp_call, target: gw, tool: mcp_fs-fail }');
    expect(failed.out).toEqual({
      outcome: 'tool_error',
      reason: 'mcp_fs-fail failed: permission denied',
      details: { tool: 'mcp_fs-fail', isError: true, textBytes: 17, text: 'permission denied', protocol: LEGACY },
    });
    const wanted = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, tool: mcp_fs-fail, expect: { isError: true, contains: denied } }',
    );
    expect(wanted.out.outcome).toBe('ok');
    const unwanted = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, tool: mcp_fs-read, expect: { isError: true } }',
    );
    expect(unwanted.out).toMatchObject({
      outcome: 'expectation_failed',
      reason: 'mcp_fs-read succeeded, expected isError: true',
    });
  });

  it('an unknown tool (a JSON-RPC error to tools/call): thrown as tool_error with the error code', async () => {
    const err = await failureOf(runOnce(fake.url, '{ name: c, type: mcp_call, target: gw, tool: mcp_fs-nope }'));
    expect(err.outcome).toBe('tool_error');
    expect(err.message).toBe('mcp_fs-nope failed: -32602 Tool mcp_fs-nope not found');
    expect(err.details).toEqual({ jsonRpcError: -32602, protocol: LEGACY });
    expect(fake.sessionsClosed).toBe(fake.sessionsOpened);
  });

  it('a tool of a server the gateway has no session to (1.77): tool_error saying the server is down', async () => {
    const { out } = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, servers: [mcp_fs, mcp_ev], tool: mcp_ev-echo }',
    );
    expect(out).toMatchObject({
      outcome: 'tool_error',
      reason:
        'mcp_ev-echo failed: server mcp_ev is down: the gateway has no session to it ' +
        '(its words: MCP client session is not initialized)',
      details: { isError: true },
    });
    // Its words are enough: nothing more is asked.
    expect(fake.requests.some((r) => r.rpc === 'tools/list')).toBe(false);
  });

  /** tools/list answered with LiteLLM 1.109's JSON-RPC error or 1.108's result, naming mcp_ev's status. */
  const listSays = (status: string, asError: boolean): void => {
    const outcomes = JSON.stringify({ 'litellm.ai/server_outcomes': { mcp_ev: { status } } });
    // Request ids of the SDK's client: initialize 0, tools/call 1, tools/list 2.
    const body = asError
      ? `{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"Every MCP server in scope failed to list tools","data":${outcomes}}}`
      : `{"jsonrpc":"2.0","id":2,"result":{"tools":[],"_meta":${outcomes}}}`;
    fake.rules.push({ on: 'tools/list', fault: { kind: 'raw_json', body } });
  };

  it.each([
    ['1.109: every server failed (a JSON-RPC error)', 'internal', true],
    ['1.108: a result with the outcomes', 'unreachable', false],
  ])(
    '"Tool x not found" (1.108+) with tools/list naming the server failed, %s: the server is down',
    async (_what, status, asError) => {
      listSays(status, asError);
      const { out, msgs } = await runOnce(
        fake.url,
        '{ name: c, type: mcp_call, target: gw, servers: [mcp_ev], tool: mcp_ev-add }',
      );
      expect(out).toMatchObject({
        outcome: 'tool_error',
        reason:
          `mcp_ev-add failed: server mcp_ev is down: the gateway could not list its tools (${status}), ` +
          'so it does not know the tool (its words: Error: Tool add not found)',
      });
      expect(msgs).toContain(`← mcp_ev: ${status}`);
      expect(fake.sessionsClosed).toBe(fake.sessionsOpened);
    },
  );

  it('"Tool x not found" of a server the gateway lists as ok, or says nothing of: the tool\'s own words', async () => {
    listSays('ok', false);
    const listed = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, servers: [mcp_ev], tool: mcp_ev-add }',
    );
    expect(listed.out).toMatchObject({ outcome: 'tool_error', reason: 'mcp_ev-add failed: Error: Tool add not found' });
    fake.reset();
    const silent = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, servers: [mcp_ev], tool: mcp_ev-add }',
    );
    expect(silent.msgs).toContain('← mcp_ev: no word from the gateway');
    expect(silent.out).toMatchObject({ outcome: 'tool_error', reason: 'mcp_ev-add failed: Error: Tool add not found' });
    // Expected to fail: nothing more is asked.
    fake.reset();
    const wanted = await runOnce(
      fake.url,
      '{ name: c, type: mcp_call, target: gw, servers: [mcp_ev], tool: mcp_ev-add, expect: { isError: true } }',
    );
    expect(wanted.out.outcome).toBe('ok');
    expect(fake.requests.some((r) => r.rpc === 'tools/list')).toBe(false);
  });

  it('a tool that does not answer: a timeout in call_tool naming the tool and its server', async () => {
    const t0 = Date.now();
    const err = await failureOf(
      runOnce(fake.url, '{ name: c, type: mcp_call, target: gw, servers: [mcp_db], tool: mcp_db-stuck, timeout: 1s }'),
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(err.outcome).toBe('timeout');
    expect(err.message).toBe(
      'timeout after 1s in call_tool: mcp_db-stuck (server mcp_db) did not answer, ' +
        'while the gateway answered initialize: the upstream server is stuck or waits on its own backend',
    );
  });

  it('a gateway that refuses the key fails in initialize, before any call', async () => {
    const refusing = await new FakeMcpGateway({ key: 'sk-another-key-000000000000' }).start();
    try {
      const err = await failureOf(runOnce(refusing.url, '{ name: c, type: mcp_call, target: gw, tool: mcp_fs-read }'));
      expect(err.outcome).toBe('auth_rejected');
      expect(refusing.requests.some((r) => r.rpc === 'tools/call')).toBe(false);
    } finally {
      await refusing.stop();
    }
  });
});
