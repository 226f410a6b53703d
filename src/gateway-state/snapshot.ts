import type { Config } from '../config/parse.js';
import { DockerSource } from '../logs/docker-source.js';
import { chooseVersion } from './build-version.js';
import { epochMs, firstLook } from './container-facts.js';
import { factsOf } from './container-track.js';
import type { GatewayStatus } from './gateway-watch.js';
import { readGatewayVersion } from './readiness.js';
import { lookAt, takeBaseline } from './watched-files.js';

/**
 * One look at the gateway, for a one-shot command (`mcpwatch report`): each configured container as
 * Docker says it is now (restarts are Docker's RestartCount: nothing is remembered between looks), its
 * watched files changed after it started by their modification time (no hash of the start to compare
 * with), and each target's version as the gateway says it, else as a tied container's image names it.
 */
export async function gatewaySnapshot(config: Config, now = Date.now()): Promise<GatewayStatus> {
  const logs = config.logs;
  const docker = logs && logs.containers.length ? new DockerSource(logs.docker) : undefined;
  const containers: GatewayStatus['containers'] = [];
  for (const c of docker ? logs!.containers : []) {
    const target = c.target ?? null;
    const looks = await lookAt(c.watchFiles, new Map());
    try {
      const inspect = await docker!.inspect(c.name);
      const memory = inspect && firstLook(inspect);
      const started = memory ? epochMs(memory.startedAt) : undefined;
      const baseline = started !== undefined ? takeBaseline(looks, started) : {};
      containers.push({ ...factsOf(c.name, inspect, memory, baseline, looks, now), target });
    } catch (err) {
      containers.push({
        ...factsOf(c.name, undefined, undefined, {}, looks, now),
        target,
        error: (err as Error).message,
      });
    }
  }
  const versions: GatewayStatus['versions'] = [];
  for (const [name, t] of Object.entries(config.targets)) {
    const said = await readGatewayVersion(t);
    const image = containers.find((c) => c.target === name && c.imageVersion)?.imageVersion;
    const v = chooseVersion(said, undefined, image);
    versions.push({
      target: name,
      version: v?.version ?? null,
      source: v?.source ?? null,
      saidAt: said ? new Date().toISOString() : null,
      imageVersion: image ?? null,
    });
  }
  return { containers, versions };
}
