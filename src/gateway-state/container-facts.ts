import type { ContainerInspect } from '../logs/docker-source.js';

/** Docker's time for "never" (a container not started yet, or never exited). */
const NEVER = '0001-01-01T00:00:00Z';

export const HEALTH_STATUSES = ['starting', 'healthy', 'unhealthy', 'none'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/**
 * What mcpwatch remembers of a container name across its own restarts (kept in `stateDir`), so that
 * the counters go on from where they were: a restart or an OOM kill is counted once, by the start
 * or the exit it was (Docker's `StartedAt`, `FinishedAt`), whoever saw it first.
 */
export interface ContainerMemory {
  /** The container id last seen under the name ('' when none was ever seen). */
  id: string;
  /** Its last start and last exit as Docker gives them ('' for never). */
  startedAt: string;
  finishedAt: string;
  /** Docker's RestartCount at the last look. */
  restartCount: number;
  /** Restarts counted so far: Docker's RestartCount at the first look, then every start after a run. */
  restarts: number;
  /** Exits counted as OOM kills. */
  ooms: number;
  /** The exit code of the last exit known; undefined before one. */
  exitCode?: number;
  /** Whether a container of this name has ever been seen started (its next start is then a restart). */
  hadRun: boolean;
}

/** What events said since the last look that a later inspect cannot show (the container may be running again). */
export interface EventHints {
  /** `oom` events since the last exit applied. */
  ooms: number;
  /** The exit code of the last `die` event. */
  exitCode?: number;
}

export const NO_HINTS: EventHints = { ooms: 0 };

/** The facts of one look: the new memory, and what it added to the counters. */
export interface Advance {
  memory: ContainerMemory;
  restarts: number;
  ooms: number;
  /** A start or an exit seen for the first time: the watched files' baseline may need taking again. */
  started: boolean;
  exited: boolean;
  /** Whether the hints were used (an exit was seen): the caller clears them. */
  hintsUsed: boolean;
}

function when(t: string): string {
  return t === NEVER || t.startsWith('0001-') ? '' : t;
}

/** Pure: the memory of a container seen for the first time, from Docker's own counts. */
export function firstLook(c: ContainerInspect): ContainerMemory {
  const startedAt = when(c.startedAt);
  const finishedAt = when(c.finishedAt);
  const exited = finishedAt !== '' && !c.running;
  return {
    id: c.id,
    startedAt,
    finishedAt,
    restartCount: c.restartCount,
    restarts: c.restartCount,
    ooms: exited && c.oomKilled ? 1 : 0,
    ...(exited && { exitCode: c.exitCode }),
    hadRun: startedAt !== '',
  };
}

/**
 * Pure: one look at a container (an inspect) set against what was remembered. A start not seen
 * before is a restart when a container of that name had run: as many as Docker's RestartCount grew
 * by, at least one (a manual restart resets RestartCount to 0; a re-created container starts at 0).
 * An exit not seen before takes its exit code from Docker when the container is still down, else
 * from the `die` event; it is an OOM kill when Docker says so or `oom` events came (as many as came).
 */
export function advance(prev: ContainerMemory, c: ContainerInspect, hints: EventHints = NO_HINTS): Advance {
  const sameId = prev.id === c.id;
  const startedAt = when(c.startedAt);
  const finishedAt = when(c.finishedAt);
  const started = startedAt !== '' && (!sameId || startedAt !== prev.startedAt);
  const exited = finishedAt !== '' && (!sameId || finishedAt !== prev.finishedAt);
  let restarts = 0;
  if (started) {
    const base = sameId && c.restartCount >= prev.restartCount ? prev.restartCount : 0;
    restarts = Math.max(prev.hadRun ? 1 : 0, c.restartCount - base);
  }
  let ooms = 0;
  let exitCode = prev.exitCode;
  if (exited) {
    const down = !c.running && !c.restarting;
    ooms = Math.max(hints.ooms, down && c.oomKilled ? 1 : 0);
    exitCode = down ? c.exitCode : (hints.exitCode ?? c.exitCode);
  }
  const memory: ContainerMemory = {
    id: c.id,
    startedAt: startedAt || (sameId ? prev.startedAt : ''),
    finishedAt: finishedAt || (sameId ? prev.finishedAt : ''),
    // Docker counts a policy restart while it waits to start again (`restarting`): it is counted at the start.
    restartCount: started || !sameId ? c.restartCount : prev.restartCount,
    restarts: prev.restarts + restarts,
    ooms: prev.ooms + ooms,
    ...(exitCode !== undefined && { exitCode }),
    hadRun: prev.hadRun || startedAt !== '',
  };
  return { memory, restarts, ooms, started, exited, hintsUsed: exited };
}

/** Pure: Docker's HEALTHCHECK status as one of the four the gauge knows. */
export function healthOf(c: ContainerInspect | undefined): HealthStatus {
  const h = c?.health;
  return h === 'starting' || h === 'healthy' || h === 'unhealthy' ? h : 'none';
}

/** Pure: whether the container runs (a container that restarts, or is paused, does not serve). */
export function runningOf(c: ContainerInspect | undefined): boolean {
  return c !== undefined && c.running && !c.restarting && c.status !== 'paused';
}

/** Pure: Docker's time as epoch ms; undefined for never. */
export function epochMs(t: string): number | undefined {
  const s = when(t);
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Pure: a stored memory checked field by field; undefined when it is not one. */
export function parseMemory(s: unknown): ContainerMemory | undefined {
  if (!s || typeof s !== 'object') return undefined;
  const o = s as Record<string, unknown>;
  const str = (k: string): k is string => typeof o[k] === 'string';
  const num = (k: string): boolean => typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0;
  if (!str('id') || !str('startedAt') || !str('finishedAt')) return undefined;
  if (!num('restartCount') || !num('restarts') || !num('ooms') || typeof o.hadRun !== 'boolean') return undefined;
  if (o.exitCode !== undefined && typeof o.exitCode !== 'number') return undefined;
  return {
    id: o.id as string,
    startedAt: o.startedAt as string,
    finishedAt: o.finishedAt as string,
    restartCount: o.restartCount as number,
    restarts: o.restarts as number,
    ooms: o.ooms as number,
    ...(typeof o.exitCode === 'number' && { exitCode: o.exitCode }),
    hadRun: o.hadRun,
  };
}
