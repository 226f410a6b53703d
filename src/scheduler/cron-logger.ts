import { setLogger } from 'node-cron';
import type { Logger } from '../util/logger.js';

/** Sends node-cron's own messages to mcpwatch's log (its info chatter at debug). */
export function useCronLogger(logger: Logger): void {
  const log = logger.child({ component: 'node-cron' });
  setLogger({
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string | Error, err?: Error) =>
      log.error({ err: err ?? (m instanceof Error ? m : undefined) }, String(m)),
    debug: (m: string | Error) => log.debug(String(m)),
  });
}
