import type { LogRecord } from '../../src/logs/records.js';
import type { Match } from '../../src/logs/rules.js';

// Log records made by hand, as the pipeline hands them to the rules and to what reads their matches
// (the guard correlator, the match sinks): LiteLLM error records, uvicorn's access line, their matches.

/** LiteLLM's error line for a request without a key, as a container writes it to stderr. */
export const NO_KEY_LINE =
  '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';

/** A Docker timestamp (nanoseconds) for epoch ms. */
export const dockerTs = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}901234Z`;

/** A LiteLLM ERROR record on stderr with nothing in it but what `over` sets. */
export const recordWith = (over: Partial<LogRecord>): LogRecord => ({
  stream: 'stderr',
  kind: 'litellm',
  ts: '',
  message: '',
  text: '',
  lines: 1,
  logger: 'LiteLLM Proxy',
  level: 'ERROR',
  ...over,
});

/** The record of a LiteLLM error line written at `at` (its time of day leads the text), from `ip` when given. */
export function litellmRecord(message: string, at: number, ip?: string): LogRecord {
  const clock = new Date(at).toISOString().slice(11, 19);
  return {
    stream: 'stderr',
    kind: 'litellm',
    ts: dockerTs(at),
    level: 'ERROR',
    logger: 'LiteLLM Proxy',
    message,
    text: `${clock} - LiteLLM Proxy:ERROR: user_api_key_auth.py:1000 - ${message}`,
    lines: 1,
    ...(ip && { requesterIp: ip }),
  };
}

/** The litellm rules' match of an auth error of this kind. */
export const authMatch = (kind: string): Match => ({ category: 'auth', kind, rule: 'litellm_auth' });

/** A LiteLLM auth error of this kind (its record, see litellmRecord) and the auth rule's match of it. */
export const authError = (kind: string, message: string, at: number, ip?: string): [Match, LogRecord] => [
  authMatch(kind),
  litellmRecord(message, at, ip),
];

/** uvicorn's access line of a POST to `path` from `ip` answered with `status`, and the http match of it. */
export function accessLine(path: string, at: number, ip = '10.0.0.5', status = 401): [Match, LogRecord] {
  const text = `INFO:     ${ip}:40644 - "POST ${path} HTTP/1.1" ${status} Unauthorized`;
  return [
    { category: 'http', kind: String(status), rule: 'uvicorn_access' },
    {
      stream: 'stdout',
      kind: 'access',
      ts: dockerTs(at),
      level: 'INFO',
      message: text,
      text,
      lines: 1,
      http: { method: 'POST', path, status },
      requesterIp: ip,
    },
  ];
}
