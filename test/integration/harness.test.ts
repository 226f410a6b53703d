import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerLogs,
  ensureDocker,
  removeContainer,
  runContainer,
  TEST_IMAGE,
  uniqueName,
  waitContainer,
} from '../support/docker.js';
import { EVERYTHING_SERVER, FS_SERVER, startLiteLLM, type LiteLLM } from '../support/litellm.js';

// The harness itself: a real LiteLLM with both upstream MCP servers, and the local Docker engine.

describe('LiteLLM harness', () => {
  let ll: LiteLLM;
  beforeAll(async () => {
    ll = await startLiteLLM({ version: '1.77.1' });
  }, 180_000);
  afterAll(async () => {
    await ll?.stop();
  });

  it('answers /health/liveliness without a key, and lists both upstream servers', async () => {
    const live = await fetch(`${ll.url}/health/liveliness`);
    expect(live.status).toBe(200);
    expect(await live.text()).toContain('alive');

    const res = await fetch(`${ll.url}/mcp-rest/tools/list`, { headers: { authorization: `Bearer ${ll.masterKey}` } });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    const names = (JSON.parse(body) as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toContain(`${FS_SERVER}-read_text_file`);
    expect(names).toContain(`${EVERYTHING_SERVER}-echo`);
    expect(ll.version).toBe('1.77.1');
  });
});

describe('Docker harness', () => {
  const name = uniqueName('mcpwatch-harness');
  beforeAll(() => ensureDocker(), 300_000);
  afterAll(async () => {
    await removeContainer(name);
  });

  it('runs a busybox container and reads its output back with docker logs', async () => {
    await runContainer({
      name,
      image: TEST_IMAGE,
      cmd: ['sh', '-c', 'echo "hello from $HOSTNAME"; echo "to stderr" >&2'],
    });
    expect(await waitContainer(name)).toBe(0);
    const logs = await containerLogs(name);
    expect(logs.stdout).toMatch(/^hello from \w+\n$/);
    expect(logs.stderr).toBe('to stderr\n');
  });
});
