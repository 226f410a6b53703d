import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A real client failing against the gateway from another address (127.0.0.2, as a client on
 * another host would): one MCP initialize with the Authorization it is given.
 */
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bad-client', version: '1' } },
});
const elsewhere = new Agent({ localAddress: '127.0.0.2' });

export async function badRequest(url: string, authorization?: string): Promise<number> {
  const res = await undiciFetch(`${url}/mcp/`, {
    method: 'POST',
    dispatcher: elsewhere,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization && { authorization }),
    },
    body: INIT,
  });
  await res.arrayBuffer();
  return res.status;
}
