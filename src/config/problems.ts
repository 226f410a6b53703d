/** A problem in a config file: where (`probes[2].schedule`) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.message}`;
}

/** A config that cannot be loaded: every problem, in file order. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: ConfigProblem[],
    readonly path: string,
  ) {
    super(`invalid config ${path}:\n${problems.map(formatProblem).join('\n')}`);
  }
}
