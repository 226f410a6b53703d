import { describe, expect, it } from 'vitest';
import {
  advance,
  epochMs,
  firstLook,
  healthOf,
  parseMemory,
  runningOf,
  type ContainerMemory,
} from '../../src/gateway-state/container-facts.js';
import type { ContainerInspect } from '../../src/logs/docker-source.js';

const NEVER = '0001-01-01T00:00:00Z';
const T1 = '2026-01-01T10:00:00.123456789Z';
const T2 = '2026-01-01T10:05:00.5Z';
const T3 = '2026-01-01T10:06:00Z';

function inspect(over: Partial<ContainerInspect> = {}): ContainerInspect {
  return {
    id: 'a'.repeat(64),
    name: 'litellm',
    status: 'running',
    running: true,
    restarting: false,
    oomKilled: false,
    exitCode: 0,
    startedAt: T1,
    finishedAt: NEVER,
    restartCount: 0,
    health: undefined,
    image: 'ghcr.io/berriai/litellm:main-v1.77.1-stable',
    imageId: 'sha256:1',
    labels: {},
    ...over,
  };
}

const exited = (code: number, over: Partial<ContainerInspect> = {}): Partial<ContainerInspect> => ({
  status: 'exited',
  running: false,
  exitCode: code,
  finishedAt: T2,
  ...over,
});

describe('firstLook', () => {
  it.each([
    ['running, never restarted', inspect(), { restarts: 0, ooms: 0, hadRun: true }],
    ['in a restart loop already: Docker’s own count', inspect({ restartCount: 4 }), { restarts: 4, restartCount: 4 }],
    ['exited by an OOM kill', inspect(exited(137, { oomKilled: true })), { ooms: 1, exitCode: 137 }],
    ['created, never started', inspect({ status: 'created', running: false, startedAt: NEVER }), { hadRun: false }],
  ])('%s', (_name, c, want) => {
    expect(firstLook(c)).toMatchObject(want);
  });

  it('a running container has no exit code yet (Docker says 0 until it exits)', () => {
    expect(firstLook(inspect()).exitCode).toBeUndefined();
  });
});

describe('advance', () => {
  const base = (over: Partial<ContainerMemory> = {}): ContainerMemory => ({ ...firstLook(inspect()), ...over });

  it('the same look again adds nothing', () => {
    const a = advance(base(), inspect());
    expect(a).toMatchObject({ restarts: 0, ooms: 0, started: false, exited: false });
    expect(a.memory).toEqual(base());
  });

  it.each([
    ['a manual restart (RestartCount reset to 0)', inspect({ startedAt: T3, finishedAt: T2 }), 1],
    ['a restart-policy restart', inspect({ startedAt: T3, finishedAt: T2, restartCount: 1 }), 1],
    ['three policy restarts between two looks', inspect({ startedAt: T3, finishedAt: T2, restartCount: 3 }), 3],
    ['re-created under the same name and started', inspect({ id: 'b'.repeat(64), startedAt: T3 }), 1],
    ['re-created, not started yet', inspect({ id: 'b'.repeat(64), startedAt: NEVER, running: false }), 0],
  ])('%s', (_name, c, restarts) => {
    expect(advance(base(), c).restarts).toBe(restarts);
  });

  it('a policy restart seen while Docker waits to start again (restarting) counts once, at its start', () => {
    const waiting = advance(base(), inspect({ restarting: true, restartCount: 1, finishedAt: T2, exitCode: 3 }));
    expect(waiting.restarts).toBe(0);
    const again = advance(waiting.memory, inspect({ startedAt: T3, finishedAt: T2, restartCount: 1 }));
    expect(again.restarts).toBe(1);
    expect(advance(again.memory, inspect({ startedAt: T3, finishedAt: T2, restartCount: 1 })).restarts).toBe(0);
  });

  it('a first start of a container by that name is not a restart', () => {
    const created = firstLook(inspect({ startedAt: NEVER, running: false, status: 'created' }));
    expect(advance(created, inspect()).restarts).toBe(0);
  });

  it('a start seen after a re-creation counts once: not again at the next look', () => {
    const b = 'b'.repeat(64);
    const created = advance(base(), inspect({ id: b, startedAt: NEVER, running: false, status: 'created' }));
    const started = advance(created.memory, inspect({ id: b, startedAt: T3 }));
    expect([created.restarts, started.restarts]).toEqual([0, 1]);
    expect(advance(started.memory, inspect({ id: b, startedAt: T3 })).restarts).toBe(0);
  });

  it('an exit while still down: Docker’s exit code and OOM flag', () => {
    const a = advance(base(), inspect(exited(137, { oomKilled: true })));
    expect(a).toMatchObject({ exited: true, ooms: 1, hintsUsed: true });
    expect(a.memory).toMatchObject({ exitCode: 137, ooms: 1, finishedAt: T2 });
  });

  it('an exit seen only after a restart: the die event’s code and the oom events count', () => {
    const c = inspect({ startedAt: T3, finishedAt: T2, restartCount: 1 });
    const a = advance(base(), c, { ooms: 1, exitCode: 137 });
    expect(a.memory).toMatchObject({ exitCode: 137, ooms: 1, restarts: 1 });
    // Without hints Docker no longer says how it ended (ExitCode is 0 again): the code is 0, no OOM.
    expect(advance(base(), c).memory).toMatchObject({ exitCode: 0, ooms: 0 });
  });

  it('an OOM kill seen both by its event and by the inspect counts once', () => {
    const a = advance(base(), inspect(exited(137, { oomKilled: true })), { ooms: 1, exitCode: 137 });
    expect(a.ooms).toBe(1);
  });

  it('a stop with a chosen exit code', () => {
    expect(advance(base(), inspect(exited(3))).memory.exitCode).toBe(3);
  });
});

describe('health and running', () => {
  it.each([
    [undefined, 'none'],
    ['starting', 'starting'],
    ['healthy', 'healthy'],
    ['unhealthy', 'unhealthy'],
    ['weird', 'none'],
  ])('HEALTHCHECK %s → %s', (health, want) => {
    expect(healthOf(inspect({ health }))).toBe(want);
  });

  it.each([
    [inspect(), true],
    [inspect({ restarting: true }), false],
    [inspect({ status: 'paused' }), false],
    [inspect(exited(0)), false],
    [undefined, false],
  ])('running %#', (c, want) => {
    expect(runningOf(c)).toBe(want);
  });
});

describe('stored memory', () => {
  it('round-trips, and refuses what is not one', () => {
    const m = firstLook(inspect(exited(3)));
    expect(parseMemory(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(parseMemory({ ...m, restarts: -1 })).toBeUndefined();
    expect(parseMemory({ ...m, id: 5 })).toBeUndefined();
    expect(parseMemory(null)).toBeUndefined();
  });

  it('epochMs: Docker’s never is undefined', () => {
    expect(epochMs(NEVER)).toBeUndefined();
    expect(epochMs(T3)).toBe(Date.UTC(2026, 0, 1, 10, 6));
  });
});
