import type { GatewayStatus } from './gateway-watch.js';

/** The gateway itself in /status: each followed container's state and restart pending, each target's version. */
export interface GatewayView {
  containers: Array<{
    name: string;
    /** The target it is tied to (`logs.containers[].target`). */
    target: string | null;
    /** Docker's status word, `missing` when there is no such container. */
    status: string;
    running: boolean;
    health: string;
    id: string | null;
    image: string | null;
    imageVersion: string | null;
    startedAt: string | null;
    lastExit: { code: number | null; at: string | null } | null;
    /** Restarts counted (kept across mcpwatch restarts), and Docker's own RestartCount now. */
    restarts: number;
    dockerRestartCount: number;
    oomKills: number;
    restartPending: boolean;
    /** Watched files changed since the container started: a restart loads them. */
    pendingFiles: Array<{ path: string; changedAt: string }>;
    unreadableFiles: Array<{ path: string; error: string }>;
    error?: string;
  }>;
  versions: GatewayStatus['versions'];
}

/** Pure: the gateway watch's facts as /status shows them (ISO times). */
export function gatewayView(g: GatewayStatus): GatewayView {
  const isoOrNull = (ms: number | undefined): string | null => (ms !== undefined ? iso(ms) : null);
  return {
    containers: g.containers.map((c) => ({
      name: c.container,
      target: c.target,
      status: c.status,
      running: c.running,
      health: c.health,
      id: c.id ?? null,
      image: c.image ?? null,
      imageVersion: c.imageVersion ?? null,
      startedAt: isoOrNull(c.startedAtMs),
      lastExit:
        c.exitCode !== undefined || c.finishedAtMs !== undefined
          ? { code: c.exitCode ?? null, at: isoOrNull(c.finishedAtMs) }
          : null,
      restarts: c.restarts,
      dockerRestartCount: c.restartCount,
      oomKills: c.ooms,
      restartPending: c.pending.length > 0,
      pendingFiles: c.pending.map((p) => ({ path: p.path, changedAt: iso(p.changedAt) })),
      unreadableFiles: c.unreadable,
      ...(c.error && { error: c.error }),
    })),
    versions: g.versions,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
