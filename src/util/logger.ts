import { pino, stdSerializers, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import type { Redactor } from './redact.js';

export type { Logger } from 'pino';

/**
 * JSON-lines logger. Credentials are removed twice over: known header and field paths are
 * censored by pino, and every message and field is passed through the Redactor (configured
 * secrets, `sk-…` keys, bearer tokens), so an error message that quotes a key cannot leak it.
 */
export function createLogger(opts: {
  level: LevelWithSilent;
  redactor: Redactor;
  destination?: DestinationStream;
  name?: string;
}): Logger {
  const { redactor } = opts;
  return pino(
    {
      name: opts.name ?? 'mcpwatch',
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactor.maskDeep(obj),
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-litellm-api-key"]',
          'headers.authorization',
          'headers["x-litellm-api-key"]',
          '*.apiKey',
          'apiKey',
          '*.token',
        ],
        censor: '***',
      },
      serializers: {
        err: (e: Error) => redactor.maskDeep(stdSerializers.err(e)),
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a: unknown) => (typeof a === 'string' ? redactor.mask(a) : a)) as Parameters<
            typeof method
          >;
          method.apply(this, masked);
        },
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
