import { describe, expect, it } from 'vitest';
import type { ClientConfigDetails } from '../../../src/probes/client-config/details.js';
import { format } from '../../../src/probes/client-config/format.js';

const ENTRY: ClientConfigDetails = {
  client: 'codex',
  file: '/home/ops/.codex/config.toml',
  server: 'litellm',
  line: 4,
  findings: [],
};

describe('client_config format', () => {
  it('the entry, where it is', () => {
    expect(format(ENTRY)).toEqual(['client:   codex entry "litellm" at /home/ops/.codex/config.toml:4']);
  });

  it('each finding at its line, with its fix; then how the live request went', () => {
    expect(
      format({
        ...ENTRY,
        findings: [
          { line: 5, code: 'no_key', severity: 'error', message: 'no Authorization header', fix: 'add the key' },
          { line: 6, code: 'http_url', severity: 'warning', message: 'plain http', fix: 'use https' },
        ],
        live: { outcome: 'auth_rejected', reason: 'rejected: 401 Unauthorized' },
      }),
    ).toEqual([
      'client:   codex entry "litellm" at /home/ops/.codex/config.toml:4',
      '  /home/ops/.codex/config.toml:5: error: [no_key] no Authorization header — fix: add the key',
      '  /home/ops/.codex/config.toml:6: warning: [http_url] plain http — fix: use https',
      'live:     auth_rejected: rejected: 401 Unauthorized',
    ]);
  });
});
