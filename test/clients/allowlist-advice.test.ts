import { describe, expect, it } from 'vitest';
import { forTheClient } from '../../src/probes/client-config/run.js';
import type { ClientEntry } from '../../src/clients/types.js';

// A client entry's live try refused by LiteLLM's client allowlist (general_settings.mcp_allowed_clients): the words
// nameGatewayRefusal gives a target (set clientId on the target) said for the client's file instead, since a client
// is tried with only the headers its own file sends (mcpwatch's clientId is not added). The refusal texts are those
// test/integration/litellm-refusals.test.ts reads from real LiteLLM 1.110.2.

const PREFIX =
  "403 Forbidden from codex (Codex CLI) — refused by the gateway's client allowlist (general_settings.mcp_allowed_clients): ";
const entry = (headers: string[] = []): Pick<ClientEntry, 'client' | 'headers'> => ({
  client: 'codex',
  headers: headers.map((name) => ({ name, value: { kind: 'literal', text: 'x' }, line: 3 })),
});

describe('forTheClient', () => {
  it('no client header sent: add one to the entry', () => {
    const reason = `${PREFIX}it reads the client application from the x-mcp-client header (its mcp_client_id_header), and this target sends no clientId: set clientId on the target, to a value listed there`;
    expect(forTheClient(reason, entry())).toBe(
      `${PREFIX}it reads the client application from the x-mcp-client header (its mcp_client_id_header), and this ` +
        'Codex CLI entry sends none: add a x-mcp-client header with a value listed in mcp_allowed_clients to the ' +
        "entry (mcpwatch's clientId is not sent for a client)",
    );
    expect(forTheClient(reason, entry(['X-MCP-Client']))).toContain(
      'which this entry sends, but it did not reach the gateway',
    );
  });

  it('a value not listed: the entry sends it', () => {
    const reason = `${PREFIX}client "codex-cli" (sent in the x-mcp-client header) is not listed there: add { alias: mcpwatch, value: "codex-cli" } to mcp_allowed_clients, or set clientId to a listed value`;
    expect(forTheClient(reason, entry(['x-mcp-client']))).toBe(
      `${PREFIX}this Codex CLI entry sends client "codex-cli" in its x-mcp-client header, which is not listed there: ` +
        'add it to mcp_allowed_clients, or send a listed value',
    );
  });

  it('any other reason as it is', () => {
    expect(forTheClient('401 Unauthorized from x — wrong key', entry())).toBe('401 Unauthorized from x — wrong key');
  });
});
