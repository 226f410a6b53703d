import { probeTypeOf } from '../probes/table.js';
import { mayCarrySecret } from '../util/credentials.js';
import type { Config } from './parse.js';

/**
 * Every secret value a loaded config holds (keys, key files' contents, credential headers, the MCP
 * endpoint's token), for the redactor: the agent and the one-off commands mask the same things.
 */
export function secretsOf(config: Config): string[] {
  const out: Array<string | undefined> = [config.mcpServer.token];
  const headers = (h: Readonly<Record<string, string>>): void => {
    for (const [k, v] of Object.entries(h)) if (mayCarrySecret(k)) out.push(v);
  };
  for (const t of Object.values(config.targets)) {
    out.push(t.apiKey, t.tlsFiles?.key, t.oauth2?.clientSecret, t.oauth2Key?.pem);
    for (const k of Object.values(t.keys ?? {})) out.push(k.apiKey);
    headers(t.headers);
  }
  // A discover template's headers are those of every probe made from it.
  const templates = Object.values(config.discover ?? {}).flatMap((d) => d.templates);
  for (const p of [...config.probes, ...templates]) headers(probeTypeOf(p.type)?.ownHeaders?.(p) ?? {});
  return out.filter((v): v is string => v !== undefined && v !== '');
}
