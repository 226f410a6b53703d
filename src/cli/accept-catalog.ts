import { accept, CatalogStore, scopeOf, StoreError } from '../probes/mcp-catalog/store.js';
import { loadCommandConfig } from './prologue.js';

/**
 * `mcpwatch accept-catalog PROBE`: the catalog a pinned mcp_catalog probe saw last (the agent's, in stateDir)
 * becomes its pin. Nothing is sent to the agent: it reads the pin at every run of the probe, so it takes the
 * acceptance at the next one, and so does every replica sharing the stateDir. 0 accepted (or nothing to accept),
 * 1 nothing could be accepted (no pin or no catalog yet, stateDir unreadable), 2 usage or config error (no such
 * probe, not a pinned mcp_catalog probe).
 */
export async function acceptCatalog(path: string, env: NodeJS.ProcessEnv, name: string): Promise<number> {
  const config = await loadCommandConfig(path, env);
  if (!config) return 2;
  const probe = config.probes.find((p) => p.name === name);
  const fail = (code: number, message: string): number => {
    process.stderr.write(`mcpwatch: ${message}\n`);
    return code;
  };
  if (!probe) {
    const pinned = config.probes.filter((p) => p.type === 'mcp_catalog' && p.expect.pinned).map((p) => p.name);
    const list = pinned.length ? ` (pinned catalog probes: ${pinned.join(', ')})` : ' (it has no pinned catalog probe)';
    return fail(2, `no probe named "${name}" in ${path}${list}`);
  }
  if (probe.type !== 'mcp_catalog')
    return fail(2, `${name} is an ${probe.type} probe: only an mcp_catalog probe with expect.pinned has a pin`);
  if (!probe.expect.pinned)
    return fail(
      2,
      `${name} is not pinned (expect: { pinned: true }): its catalog changes are reported once, nothing waits ` +
        'for an acceptance',
    );
  const store = new CatalogStore(config.stateDir, name);
  let done;
  try {
    done = await accept(store, scopeOf(config.targets[probe.target]!, probe.servers));
  } catch (err) {
    if (err instanceof StoreError) return fail(1, err.message);
    return fail(1, `cannot accept the catalog of ${name}: ${(err as Error).message}`);
  }
  if (!done.ok) return fail(1, done.message);
  const prev = done.previous;
  const how = prev?.how === 'accepted' ? 'accepted' : 'the first catalog seen';
  const was = prev ? `the pin of ${new Date(prev.at).toISOString()} (${how})` : 'a pin that could not be read';
  if (!done.written) {
    process.stdout.write(`${name}: the catalog seen last is the pinned one (${was}): nothing to accept\n`);
    return 0;
  }
  const changes = Object.entries(done.changes);
  const lines = [
    `${name}: accepted the catalog seen last in place of ${was}${changes.length ? '; what changed:' : ''}`,
    ...changes.map(([tool, kinds]) => `  ${tool}: ${kinds.join(', ')}`),
    `written to ${store.pinPath}: the agent takes it at the probe's next run`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
