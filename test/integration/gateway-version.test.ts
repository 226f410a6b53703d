import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayWatch } from '../../src/gateway-state/gateway-watch.js';
import { readGatewayVersion } from '../../src/gateway-state/readiness.js';
import { GatewayRecorder } from '../../src/metrics/gateway-recorder.js';
import { samples } from '../support/exposition.js';
import { LITELLM_VERSIONS, startLiteLLM, versionsUnderTest, type LiteLLM } from '../support/litellm.js';
import { capturingLogger, configOf, recorderOnTestMetrics } from '../support/runtime-config.js';

// Which LiteLLM a target runs, asked of real LiteLLM (each version under test, no key sent): 1.77 says
// it in /health/readiness (`litellm_version`); newer versions keep it out of the public readiness answer
// (only with general_settings.allow_public_health_readiness_details), and mcpwatch reads it from the
// start of /openapi.json instead. Then a running GatewayWatch exports it as mcp_gateway_build_info.

const VERSIONS = versionsUnderTest(LITELLM_VERSIONS);

const EXPECTED_SOURCE: Record<string, string> = { '1.77.1': 'readiness', '1.109.1': 'openapi', '1.110.2': 'openapi' };

describe.each(VERSIONS)('the version of real LiteLLM %s', (version) => {
  let litellm: LiteLLM;
  beforeAll(async () => {
    litellm = await startLiteLLM({ version, servers: {} });
  }, 180_000);
  afterAll(async () => {
    await litellm?.stop();
  });

  it('is read from what the gateway says, without a key', async () => {
    const readiness = (await (await fetch(`${litellm.url}/health/readiness`)).json()) as Record<string, unknown>;
    const target = configOf(`targets:\n  lan: { url: "${litellm.url}" }\n`).targets.lan!;
    const v = await readGatewayVersion(target);
    expect(v?.version).toBe(version);
    expect(v?.source).toBe(EXPECTED_SOURCE[version] ?? v?.source);
    // What the public readiness answer says decides the source.
    expect(v?.source).toBe('litellm_version' in readiness ? 'readiness' : 'openapi');
  });

  it('is exported as mcp_gateway_build_info by a running watch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-gw-version-'));
    const config = configOf(
      `stateDir: ${dir}\ntargets:\n  lan: { url: "${litellm.url}", apiKey: "${litellm.masterKey}" }\n`,
    );
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    const watch = new GatewayWatch(config, rec, capturingLogger('silent').logger, {
      readVersions: true,
      firstVersionReadMs: 0,
    });
    watch.start();
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && samples(await text(), 'mcp_gateway_build_info').length === 0)
        await new Promise((r) => setTimeout(r, 100));
      expect(samples(await text(), 'mcp_gateway_build_info')).toEqual([
        { labels: { target: 'lan', version, source: EXPECTED_SOURCE[version] ?? expect.any(String) }, value: 1 },
      ]);
      expect(watch.status().versions).toEqual([
        expect.objectContaining({ target: 'lan', version, imageVersion: null }),
      ]);
    } finally {
      await watch.stop();
    }
  });
});
