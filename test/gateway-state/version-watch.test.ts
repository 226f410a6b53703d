import { describe, expect, it } from 'vitest';
import type { GatewayVersion } from '../../src/gateway-state/build-version.js';
import {
  VERSION_EAGER_MS,
  VERSION_EVERY_MS,
  VERSION_FIRST_MS,
  VERSION_UNKNOWN_RETRY_MS,
  VersionWatch,
} from '../../src/gateway-state/version-watch.js';
import type { Target } from '../../src/config/target.js';

const target = (name: string): Target =>
  ({ name, url: `http://${name}:4000`, tls: { insecureSkipVerify: false } }) as unknown as Target;

describe('VersionWatch', () => {
  function watch(answers: Array<GatewayVersion | undefined>) {
    const changes: Array<[string, string | undefined]> = [];
    let asked = 0;
    const w = new VersionWatch(
      () => Promise.resolve(answers[Math.min(asked++, answers.length - 1)]),
      (t, v) => changes.push([t, v && `${v.version}/${v.source}`]),
      0,
    );
    return { w, changes, asked: () => asked };
  }

  it('the gateway’s word first; kept while it does not answer; the image only before it ever said', async () => {
    const { w, changes } = watch([undefined, { version: '1.77.1', source: 'readiness' }, undefined]);
    w.setTargets({ lan: target('lan') }, 0);
    w.image('lan', '1.77.0');
    await w.tick(0);
    await w.tick(Date.now() + VERSION_EVERY_MS);
    await w.tick(Date.now() + 2 * VERSION_EVERY_MS);
    expect(changes).toEqual([
      ['lan', '1.77.0/image'],
      ['lan', '1.77.1/readiness'],
    ]);
  });

  it('asks every minute, every few seconds after a start of a tied container', async () => {
    const { w, asked } = watch([undefined]);
    w.setTargets({ lan: target('lan') }, 0);
    await w.tick(0);
    const now = Date.now();
    await w.tick(now + VERSION_EAGER_MS);
    expect(asked()).toBe(1);
    w.started('lan', now);
    await w.tick(now + VERSION_EAGER_MS);
    expect(asked()).toBe(2);
  });

  it('a gateway that never answered is asked again after 10 s, 20 s, 40 s… up to every 5 minutes; once known, every 5 minutes', async () => {
    const { w, asked } = watch([undefined, undefined, undefined, { version: '1.110.2', source: 'openapi' }, undefined]);
    w.setTargets({ lan: target('lan') }, 0);
    await w.tick(0);
    expect(asked()).toBe(1);
    for (const [wait, expected] of [
      [VERSION_UNKNOWN_RETRY_MS - 1_000, 1],
      [VERSION_UNKNOWN_RETRY_MS + 1_000, 2],
      [2 * VERSION_UNKNOWN_RETRY_MS + 1_000, 3],
      [4 * VERSION_UNKNOWN_RETRY_MS + 1_000, 4], // answered
      [4 * VERSION_UNKNOWN_RETRY_MS + 1_000, 4], // known: not before 5 minutes
      [VERSION_EVERY_MS + 1_000, 5],
    ] as const) {
      await w.tick(Date.now() + wait);
      expect(asked()).toBe(expected);
    }
  });

  it('the first ask waits a while after start (start-up belongs to the probes); stop ends the reads', async () => {
    let asked = 0;
    const w = new VersionWatch(
      () => Promise.resolve((asked++, undefined)),
      () => undefined,
    );
    w.setTargets({ lan: target('lan') }, 1_000);
    await w.tick(1_000 + VERSION_FIRST_MS - 1);
    expect(asked).toBe(0);
    await w.tick(1_000 + VERSION_FIRST_MS);
    expect(asked).toBe(1);
    w.stop();
    await w.tick(Date.now() + 10 * VERSION_EVERY_MS);
    expect(asked).toBe(1);
  });

  it('a removed target’s version is dropped', async () => {
    const { w, changes } = watch([{ version: '1.109.1', source: 'openapi' }]);
    w.setTargets({ lan: target('lan') }, 0);
    await w.tick(0);
    w.setTargets({});
    expect(changes).toEqual([
      ['lan', '1.109.1/openapi'],
      ['lan', undefined],
    ]);
    expect(w.status()).toEqual([]);
  });
});
