import type { Config } from '../config/parse.js';
import type { LogService } from '../logs/log-service.js';
import type { ReloadPlan } from './reload-plan.js';

type LogsConfig = NonNullable<Config['logs']>;

/** The running config's log tailing, if it has one: started, reloaded and stopped with the config. */
export class LogTailing {
  private service: LogService | undefined;

  constructor(
    private readonly create: (logs: LogsConfig, stateDir: string) => LogService,
    logs: LogsConfig | undefined,
    stateDir: string,
  ) {
    if (logs) this.service = create(logs, stateDir);
  }

  /** The log service while containers are tailed. */
  get running(): LogService | undefined {
    return this.service;
  }

  start(): void {
    this.service?.start();
  }

  /** What a reload's plan says of the log tailing, with the reloaded config's `logs`. */
  async apply(change: ReloadPlan['logs'], logs: LogsConfig | undefined, stateDir: string): Promise<void> {
    if (change === 'reload') await this.service?.reload(logs!);
    else if (change === 'start') {
      this.service = this.create(logs!, stateDir);
      this.service.start();
    } else if (change === 'stop') {
      await this.service?.stop();
      this.service = undefined;
    }
  }

  /** At shutdown: the service stays (its health and status are still read). */
  async stop(): Promise<void> {
    await this.service?.stop();
  }
}
