#!/usr/bin/env node
// The MCP conformance suite's client under test is `mcpwatch probe`: the suite runs
// `node test/conformance/client.mjs <server-url>` with MCP_CONFORMANCE_SCENARIO set; this turns the
// URL into a config (the target is the URL's origin, mcpPath its path) with the probe the
// scenario calls for, and runs the built CLI (dist/bin.js) on it with the Node running this file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What mcpwatch does in each client scenario it takes part in. */
const PROBES = {
  initialize: { type: 'mcp_catalog' },
  tools_call: {
    type: 'mcp_call',
    tool: 'add_numbers',
    arguments: { a: 2, b: 3 },
    expect: { contains: 'The sum of 2 and 3 is 5' },
  },
  'sse-retry': {
    type: 'mcp_call',
    tool: 'test_reconnection',
    expect: { contains: 'Reconnection test completed successfully' },
  },
  // OAuth 2.0 client credentials (the SSO gate's token): the credentials come in MCP_CONFORMANCE_CONTEXT,
  // the token endpoint is discovered from the server's 401 (no tokenUrl).
  'auth/client-credentials-basic': { type: 'mcp_catalog', expect: { serversPresent: false } },
  'auth/client-credentials-jwt': { type: 'mcp_catalog', expect: { serversPresent: false } },
};

const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const serverUrl = process.argv[2];
if (!serverUrl) {
  process.stderr.write('usage: client.mjs <server-url> (with MCP_CONFORMANCE_SCENARIO set)\n');
  process.exit(2);
}
const probe = PROBES[scenario];
if (!probe) {
  // Not something a monitoring probe does (OAuth flows, elicitation): see the expected-failures list.
  process.stderr.write(
    `mcpwatch takes no part in scenario "${scenario}" (it handles: ${Object.keys(PROBES).join(', ')})\n`,
  );
  process.exit(2);
}

const url = new URL(serverUrl);
const target = { url: url.origin, mcpPath: url.pathname || '/', timeout: '20s' };
const config = {
  targets: { conformance: target },
  probes: [{ name: 'conformance', target: 'conformance', every: '1h', ...probe }],
};
const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-conformance-'));
try {
  if (scenario.startsWith('auth/client-credentials-')) {
    const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
    if (context.private_key_pem) {
      const keyFile = join(dir, 'client-key.pem');
      writeFileSync(keyFile, context.private_key_pem, { mode: 0o600 });
      target.oauth2 = {
        clientId: context.client_id,
        privateKeyFile: keyFile,
        ...(context.signing_algorithm && { signingAlgorithm: context.signing_algorithm }),
      };
    } else {
      target.oauth2 = { clientId: context.client_id, clientSecret: context.client_secret };
    }
  }
  const file = join(dir, 'mcpwatch.json.yaml');
  // JSON is YAML: no quoting rules to get wrong.
  writeFileSync(file, JSON.stringify(config, null, 2));
  const bin = join(dirname(fileURLToPath(import.meta.url)), '../../dist/bin.js');
  const r = spawnSync(process.execPath, [bin, 'probe', 'conformance', '--config', file], {
    stdio: 'inherit',
    env: { ...process.env, MCPWATCH_STATE_DIR: dir },
  });
  if (r.error) throw r.error;
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
