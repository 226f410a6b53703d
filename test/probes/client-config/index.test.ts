import { describe, expect, it } from 'vitest';
import type { ClientConfigDetails } from '../../../src/probes/client-config/details.js';
import { clientConfig, entryDetails, entryProbe } from '../../../src/probes/client-config/index.js';
import type { ResultOf } from '../../../src/probes/probe-type.js';

const DETAILS: ClientConfigDetails = { client: 'codex', file: '/c.toml', server: 'litellm', line: 2, findings: [] };

const result = (type: string, details?: object): ResultOf<object> & { type: string } => ({
  type,
  probe: 'p',
  target: 'lan',
  outcome: 'ok',
  reason: 'ok',
  success: true,
  trigger: 'cli',
  startedAt: 0,
  durationMs: 1,
  phases: {},
  steps: [],
  details,
});

describe('the client_config probe type', () => {
  it.each(['ownHeaders', 'provokesAuthErrors', 'freshConnection', 'readsCatalog', 'subject', 'settle', 'crossCheck'])(
    'has no %s',
    (part) => {
      expect(clientConfig).not.toHaveProperty(part);
    },
  );

  describe('entryProbe: the probe that tries one entry of a client file once', () => {
    const probe = entryProbe({ file: '/home/ops/.codex/config.toml', server: 'litellm' }, 'lan', 7000);

    it('named after the entry, live, with the timeout asked for', () => {
      expect(probe).toEqual({
        name: 'client:litellm',
        type: 'client_config',
        target: 'lan',
        file: '/home/ops/.codex/config.toml',
        server: 'litellm',
        live: true,
        scheduleSpec: { kind: 'every', ms: 60_000 },
        timeoutMs: 7000,
      });
    });

    it("its config part is what the type's schema gives", () => {
      const { scheduleSpec: _s, timeoutMs: _t, ...config } = probe;
      expect(clientConfig.schema.parse(config)).toEqual(config);
    });
  });

  describe('entryDetails', () => {
    it("a client_config result's details", () => {
      expect(entryDetails(result('client_config', DETAILS))).toBe(DETAILS);
    });

    it('a client_config result without details: none', () => {
      expect(entryDetails(result('client_config'))).toBeUndefined();
    });

    it.each(['http', 'mcp_catalog', 'auth_guard'])("another type's result (%s): none", (type) => {
      expect(entryDetails(result(type, DETAILS))).toBeUndefined();
    });
  });
});
