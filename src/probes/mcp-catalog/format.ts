// How a person reads an mcp_catalog result's details (`mcpwatch probe`).
import { protocolLine, restLine, wrap } from '../details-lines.js';
import type { CatalogProbeDetails } from './details.js';

export function format(d: CatalogProbeDetails): string[] | undefined {
  if (!('catalog' in d)) return undefined;
  const {
    catalog: c,
    expectedTools,
    toolNames,
    servers,
    serverOutcomes: _told,
    protocol,
    discover,
    listCache,
    ...rest
  } = d;
  const lines: string[] = [...protocolLine(protocol)];
  if (discover) {
    const who = discover.server ? `${discover.server.name} ${discover.server.version ?? ''}`.trim() : 'a server';
    const caps = Object.keys(discover.capabilities).join(', ') || 'none';
    lines.push(`discover: ${who}, supports ${discover.supportedVersions.join(', ')}; capabilities: ${caps}`);
  }
  if (listCache) {
    const ttl = listCache.ttlMs === undefined ? '' : `ttl ${listCache.ttlMs} ms`;
    lines.push(
      `cache:    tools/list ${[ttl, listCache.cacheScope].filter(Boolean).join(', ')} (mcpwatch lists afresh)`,
    );
  }
  const per = Object.entries(c.toolsPerServer).map(([s, n]) => `${s}: ${n}`);
  const fingerprint = c.fingerprint ? `fingerprint ${c.fingerprint}` : 'no catalog (tools/list failed)';
  lines.push(`catalog:  ${c.tools} tools${per.length ? ` (${per.join(', ')})` : ''}, ${fingerprint}`);
  if (c.changed) {
    lines.push(`changed:  since the previous run of this probe`);
    if (c.added.length) lines.push(`  added:   ${c.added.join(', ')}`);
    if (c.removed.length) lines.push(`  removed: ${c.removed.join(', ')}`);
    if (c.changedSchemas.length) lines.push(`  input schema changed: ${c.changedSchemas.join(', ')}`);
  }
  for (const [name, st] of Object.entries(servers ?? {})) {
    const said = !st.up && st.said && st.said !== st.reason ? ` (the gateway said: ${st.said})` : '';
    lines.push(`server:   ${name} ${st.up ? `up, ${st.tools} tools` : `DOWN: ${st.reason}${said}`}`);
  }
  const e = Object.entries(expectedTools);
  if (e.length) lines.push(`expected: ${e.map(([t, ok]) => `${t} ${ok ? 'present' : 'MISSING'}`).join(', ')}`);
  if (toolNames) lines.push(...wrap('tools:    ', toolNames));
  return [...lines, ...restLine(rest)];
}
