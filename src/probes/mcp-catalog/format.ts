// How a person reads an mcp_catalog result's details (`mcpwatch probe`).
import { protocolLine, restLine, wrap } from '../details-lines.js';
import type { CatalogChangeKind } from '../types.js';
import type { CatalogProbeDetails, PinnedState } from './details.js';

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
    pinned,
    toolNameProblems,
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
    const having = (kind: CatalogChangeKind): string[] =>
      Object.keys(c.changes ?? {}).filter((t) => c.changes![t]!.includes(kind));
    const rows: Array<[string, string[]]> = [
      ['  added:   ', c.added],
      ['  removed: ', c.removed],
      ['  input schema changed: ', c.changedSchemas],
      ['  output schema changed: ', having('output_schema')],
      ['  description changed: ', having('description')],
      ['  annotations changed: ', having('annotations')],
    ];
    for (const [head, tools] of rows) if (tools.length) lines.push(`${head}${tools.join(', ')}`);
  }
  if (pinned) lines.push(...pinLines(pinned));
  for (const [tool, problems] of Object.entries(toolNameProblems ?? {}))
    lines.push(`name:     ${tool} (${tool.length} characters): ${problems.join(', ')}`);
  for (const [name, st] of Object.entries(servers ?? {})) {
    const said = !st.up && st.said && st.said !== st.reason ? ` (the gateway said: ${st.said})` : '';
    lines.push(`server:   ${name} ${st.up ? `up, ${st.tools} tools` : `DOWN: ${st.reason}${said}`}`);
  }
  const e = Object.entries(expectedTools);
  if (e.length) lines.push(`expected: ${e.map(([t, ok]) => `${t} ${ok ? 'present' : 'MISSING'}`).join(', ')}`);
  if (toolNames) lines.push(...wrap('tools:    ', toolNames));
  return [...lines, ...restLine(rest)];
}

function pinLines(p: PinnedState): string[] {
  if ('error' in p) return [`pinned:   cannot be used: ${p.error}`];
  const head = `pinned:   since ${p.since} (${p.how === 'accepted' ? 'accepted' : 'the first catalog seen'})`;
  if (!p.drift) return [`${head}, the catalog is the pinned one`];
  return [`${head}, the catalog DIFFERS:`, ...Object.entries(p.changes).map(([t, k]) => `  ${t}: ${k.join(', ')}`)];
}
