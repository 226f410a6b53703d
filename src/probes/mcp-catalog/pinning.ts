// expect.pinned: the catalog against the pin kept in stateDir, read at every run, so that an acceptance written by
// `mcpwatch accept-catalog` is taken at the probe's next run, by every replica that shares the stateDir.
import type { CatalogSnapshot, ServerCatalog, ServerState } from '../types.js';
import type { PinnedState } from './details.js';
import { diffServers, pinFillIns } from './diff.js';
import type { CatalogStore } from './store.js';

/**
 * The catalog against its pin. No pin yet: `baselines` (this run's catalog, with what the probe last saw of servers
 * down now) becomes the pin. A server the pin knew only down is filled in at its first catalog. Never throws: a pin
 * that cannot be read or written is an `error`.
 */
export async function checkPin(
  store: CatalogStore,
  snapshot: CatalogSnapshot,
  states: Readonly<Record<string, ServerState>>,
  servers: readonly string[],
  baselines: Readonly<Record<string, ServerCatalog>>,
  step: (msg: string) => void,
): Promise<PinnedState> {
  let pin;
  try {
    pin = await store.readPin();
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (!pin) {
    pin = { at: snapshot.at, how: 'first_catalog' as const, servers: { ...baselines } };
    try {
      await store.writePin(pin);
    } catch (err) {
      return { error: `cannot write the pin ${store.pinPath}: ${(err as Error).message}` };
    }
    step(`pinned this catalog (${store.pinPath})`);
    return { since: new Date(pin.at).toISOString(), how: pin.how, drift: false, changes: {} };
  }
  const { diff, baselines: next } = diffServers(pin.servers, snapshot, states, servers);
  const fill = pinFillIns(pin.servers, next);
  if (fill) await fillIn(store, pin.at, fill, step);
  step(`pin of ${new Date(pin.at).toISOString()} (${pin.how}): ${diff.changed ? 'the catalog differs' : 'the same'}`);
  return { since: new Date(pin.at).toISOString(), how: pin.how, drift: diff.changed, changes: diff.changes };
}

/** Adds servers to the pin taken at `at`, unless it was replaced meanwhile (an acceptance wins). */
async function fillIn(
  store: CatalogStore,
  at: number,
  fill: Record<string, ServerCatalog>,
  step: (msg: string) => void,
): Promise<void> {
  try {
    const pin = await store.readPin();
    if (!pin || pin.at !== at) return;
    await store.writePin({ ...pin, servers: { ...pin.servers, ...fill } });
    step(`pin: first catalog of ${Object.keys(fill).join(', ')} (known only down when pinned) added to it`);
  } catch (err) {
    step(`pin: could not add ${Object.keys(fill).join(', ')}: ${(err as Error).message}`);
  }
}
