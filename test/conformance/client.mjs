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
  tools_call: { type: 'mcp_call', tool: 'add_numbers', arguments: { a: 2, b: 3 }, expect: { contains: 'The sum of 2 and 3 is 5' } },
  'sse-retry': { type: 'mcp_call', tool: 'test_reconnection', expect: { contains: 'Reconnection test completed successfully' } },
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
  process.stderr.write(`mcpwatch takes no part in scenario "${scenario}" (it handles: ${Object.keys(PROBES).join(', ')})\n`);
  process.exit(2);
}

const url = new URL(serverUrl);
const config = {
  targets: { conformance: { url: url.origin, mcpPath: url.pathname || '/', timeout: '20s' } },
  probes: [{ name: 'conformance', target: 'conformance', every: '1h', ...probe }],
};
const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-conformance-'));
try {
  const file = join(dir, 'mcpwatch.json.yaml');
  // JSON is YAML: no quoting rules to get wrong.
  writeFileSync(file, JSON.stringify(config, null, 2));
  const bin = join(dirname(fileURLToPath(import.meta.url)), '../../dist/bin.js');
  const r = spawnSync(process.execPath, [bin, 'probe', 'conformance', '--config', file], { stdio: 'inherit', env: { ...process.env, MCPWATCH_STATE_DIR: dir } });
  if (r.error) throw r.error;
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
