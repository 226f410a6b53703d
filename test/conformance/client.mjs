#!/usr/bin/env node
// The MCP conformance suite's client under test is `mcpwatch probe`: the suite runs
// `node test/conformance/client.mjs <server-url>` with MCP_CONFORMANCE_SCENARIO set; this turns the
// URL into a config (the target is the URL's origin, mcpPath its path, protocol auto) with the
// probes the scenario calls for, and runs the built CLI (dist/bin.js) on each in turn with the Node
// running this file (the exit code is the first failing probe's).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const catalog = (expect = {}) => ({ type: 'mcp_catalog', expect });

/**
 * What mcpwatch does in each client scenario it takes part in: a probe, a list of probes (a catalog
 * and a call, as a deployment has on one target; each its own run and session), or a function of the
 * scenario's MCP_CONFORMANCE_CONTEXT giving either.
 */
const PROBES = {
  initialize: catalog(),
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
  'auth/client-credentials-basic': catalog({ serversPresent: false }),
  'auth/client-credentials-jwt': catalog({ serversPresent: false }),
  // Discovery that must be refused before any credential is sent (RFC 9728 §3.3, RFC 8414 §3.3): the
  // protected resource's metadata names another resource, or the authorization server's metadata
  // another issuer. These scenarios hand over no credentials (they are written for clients that
  // register); mcpwatch gets made-up client credentials (MADE_UP), which must never reach a token endpoint.
  'auth/resource-mismatch': catalog({ serversPresent: false }),
  'auth/metadata-issuer-mismatch': catalog({ serversPresent: false }),
  // 2026-07-28 (0.2 line). SEP-2575: every request's _meta and MCP-Protocol-Version header, and a
  // retry after the first one is refused with -32022 (the server lists no tools).
  'request-metadata': catalog({ serversPresent: false }),
  // SEP-2243: Mcp-Method on every request, Mcp-Name on tools/call.
  'http-standard-headers': [
    catalog({ tools: ['test_headers', 'my-hyphenated-tool'] }),
    { type: 'mcp_call', tool: 'test_headers', expect: { contains: 'Headers test completed' } },
  ],
  // SEP-2243: tools with a malformed x-mcp-header beside a valid one; the valid one is called.
  'http-invalid-tool-headers': [
    catalog({ tools: ['valid_tool'] }),
    { type: 'mcp_call', tool: 'valid_tool', arguments: { region: 'us-west1' } },
  ],
  // SEP-2243: the calls the scenario hands over (x-mcp-header parameters mirrored into Mcp-Param-*).
  'http-custom-headers': (context) =>
    (context.toolCalls ?? []).map((c) => ({ type: 'mcp_call', tool: c.name, arguments: c.arguments })),
  // SEP-2106: a tool whose inputSchema has a network $ref that must not be fetched.
  'json-schema-ref-no-deref': catalog({ tools: ['lookup_user'] }),
  // SEP-2322 (input-required results): a tool called between another tool's rounds must carry none of
  // their state. The tools that ask for input need an elicitation answered, which a probe does not do
  // (it declares no client capabilities).
  'sep-2322-client-request-state': {
    type: 'mcp_call',
    tool: 'test_mrtr_unrelated',
    expect: { contains: 'unrelated-ok' },
  },
  // SEP-1613 / SEP-2106: a 2020-12 inputSchema listed (the scenario's echo of it is not a probe's job).
  'json-schema-2020-12-preservation': catalog({ tools: ['json_schema_2020_12_tool', 'json_schema_echo'] }),
};

/** The auth scenarios that hand over no credentials, where mcpwatch takes part with made-up ones. */
const MADE_UP = ['auth/resource-mismatch', 'auth/metadata-issuer-mismatch'];

const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const serverUrl = process.argv[2];
if (!serverUrl) {
  process.stderr.write('usage: client.mjs <server-url> (with MCP_CONFORMANCE_SCENARIO set)\n');
  process.exit(2);
}
const given = PROBES[scenario];
if (!given) {
  // Not something a monitoring probe does (OAuth flows, elicitation): see the expected-failures lists.
  process.stderr.write(
    `mcpwatch takes no part in scenario "${scenario}" (it handles: ${Object.keys(PROBES).join(', ')})\n`,
  );
  process.exit(2);
}
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
const chosen = typeof given === 'function' ? given(context) : given;
const probes = (Array.isArray(chosen) ? chosen : [chosen]).map((p, i) => ({
  name: `conformance-${i + 1}`,
  target: 'conformance',
  every: '1h',
  ...p,
}));

const url = new URL(serverUrl);
const target = { url: url.origin, mcpPath: url.pathname || '/', timeout: '20s' };
const config = { targets: { conformance: target }, probes };
const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-conformance-'));
try {
  if (MADE_UP.includes(scenario)) {
    target.oauth2 = { clientId: 'mcpwatch-conformance', clientSecret: 'never-sent' };
  } else if (scenario.startsWith('auth/client-credentials-')) {
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
  for (const p of probes) {
    const r = spawnSync(process.execPath, [bin, 'probe', p.name, '--config', file], {
      stdio: 'inherit',
      env: { ...process.env, MCPWATCH_STATE_DIR: dir },
    });
    if (r.error) throw r.error;
    process.exitCode = r.status ?? 1;
    if (process.exitCode !== 0) break;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
