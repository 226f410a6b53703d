import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../src/main.js';
import { tempDir, writeConfig } from './support/agent-proc.js';

const devNull = new Writable({ write: (_c, _e, cb) => cb() });

async function start(
  yaml: string,
  opts: { stallGraceMs?: number; maxEventLoopDelayMs?: number } = {},
): Promise<RunningAgent> {
  const path = writeConfig(tempDir(), yaml);
  return startAgent({ configPath: path, env: {}, listen: '127.0.0.1:0', logDestination: devNull, ...opts });
}

/** The /health document, as these tests read it. */
interface HealthBody {
  status: string;
  checks: Record<string, { status: string; message?: string }>;
}

async function health(agent: RunningAgent): Promise<{ status: number; body: HealthBody }> {
  const { port } = agent.address();
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: res.status, body: (await res.json()) as HealthBody };
}

describe('/health reports mcpwatch itself', () => {
  let agent: RunningAgent | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  it('is 200 ok while the gateway is unreachable (a finding, not a failure)', async () => {
    agent = await start(
      'targets:\n  gw: { url: "http://127.0.0.1:9" }\nprobes:\n  - { name: p, type: http, target: gw, every: 1h }\n',
    );
    await new Promise((r) => setTimeout(r, 300));
    const h = await health(agent);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', targets: { gw: { up: false, failing: ['p'] } } });
  });

  it('turns 503 when the event loop was blocked', async () => {
    agent = await start('probes: []\n', { maxEventLoopDelayMs: 300 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await health(agent)).status).toBe(200);
    const until = Date.now() + 800;
    while (Date.now() < until) {
      // busy: the loop is blocked
    }
    await new Promise((r) => setTimeout(r, 300));
    const h = await health(agent);
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('unhealthy');
    expect(h.body.checks.eventLoop!.message).toMatch(/^event loop blocked for \d+ms \(limit 300ms\)$/);
  });

  it('turns 503 when the scheduler stalls (a tick overdue)', async () => {
    agent = await start(
      'targets:\n  gw: { url: "http://127.0.0.1:9" }\nprobes:\n  - { name: p, type: http, target: gw, every: 200ms }\n',
      { stallGraceMs: 100 },
    );
    await new Promise((r) => setTimeout(r, 250));
    expect((await health(agent)).status).toBe(200);
    // Stop the timers behind the agent's back: ticks stop coming, as if the scheduler hung.
    await (agent.agent as unknown as { scheduler: { stop(): Promise<void>; running: boolean } }).scheduler.stop();
    (agent.agent as unknown as { scheduler: { running: boolean } }).scheduler.running = true;
    await new Promise((r) => setTimeout(r, 600));
    const h = await health(agent);
    expect(h.status).toBe(503);
    expect(h.body.checks.scheduler!.message).toBe('probes overdue: p');
  });
});
