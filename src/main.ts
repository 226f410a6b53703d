import { Agent, ConfigError, type AgentOptions } from './agent.js';

/** How long a shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 9_000;

/**
 * Runs the agent as a process until SIGTERM/SIGINT: wiring only. SIGHUP reloads the config.
 * Resolves with the exit code.
 */
export async function runAgentProcess(opts: AgentOptions): Promise<number> {
  let agent: Agent;
  try {
    agent = await Agent.start(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcpwatch: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`mcpwatch: cannot start: ${(err as Error).message}\n`);
    return 1;
  }

  return new Promise<number>((resolve) => {
    const onHup = (): void => {
      agent.logger.info('SIGHUP: reloading the config');
      void agent.reload();
    };
    const onStop = (signal: NodeJS.Signals): void => {
      agent.logger.info({ signal }, 'stopping');
      process.off('SIGHUP', onHup);
      const deadline = setTimeout(() => {
        agent.logger.error('shutdown took too long: exiting anyway');
        resolve(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      agent.stop().then(
        () => {
          clearTimeout(deadline);
          resolve(0);
        },
        (err: unknown) => {
          agent.logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
  });
}
