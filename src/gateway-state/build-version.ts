/** Where the version of a gateway came from (the `source` label of `mcp_gateway_build_info`). */
export type VersionSource = 'readiness' | 'openapi' | 'image';

export interface GatewayVersion {
  version: string;
  source: VersionSource;
}

/** A version as LiteLLM writes it (`1.77.1`, `1.80.0.dev1`, `1.74.3rc1`): nothing else is taken. */
const VERSION = /^v?(\d+\.\d+\.\d+(?:[.-]?(?:dev|rc|post|a|b)\d*)*)$/i;

/** Pure: a version string, or undefined when it is not one (a gateway's answer is never trusted as a label as is). */
export function cleanVersion(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 40) return undefined;
  return VERSION.exec(v.trim())?.[1];
}

/** Pure: `litellm_version` of LiteLLM's `/health/readiness` answer (1.77 says it; 1.8x+ only with details on). */
export function versionFromReadiness(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  return cleanVersion((body as Record<string, unknown>).litellm_version);
}

/**
 * Pure: `info.version` of the gateway's OpenAPI document (FastAPI's `/openapi.json`, where LiteLLM
 * puts its own version), from the start of the document only: `info` comes before `paths`.
 */
export function versionFromOpenapi(head: string): string | undefined {
  if (!/"title"\s*:\s*"LiteLLM/i.test(head.slice(0, 4096))) return undefined;
  const info = /"info"\s*:\s*\{([^{}]*)\}/.exec(head);
  const v = info && /"version"\s*:\s*"([^"]*)"/.exec(info[1]!);
  return v ? cleanVersion(v[1]) : undefined;
}

/** Image labels that carry a version, first wins. */
const VERSION_LABELS = ['org.opencontainers.image.version', 'version', 'org.label-schema.version'];

/**
 * Pure: the version an image names: a version label, else its tag (`main-v1.77.1-stable`,
 * `v1.77.1`, `1.77.1`); undefined for `latest`, a digest or a tag without a version.
 */
export function versionFromImage(image: string, labels: Readonly<Record<string, string>>): string | undefined {
  for (const l of VERSION_LABELS) {
    const v = cleanVersion(labels[l]);
    if (v) return v;
  }
  const tag = /:([^/:@]+)(?:@.*)?$/.exec(image)?.[1];
  if (!tag) return undefined;
  const m = /(?:^|[-_])v?(\d+\.\d+\.\d+(?:\.(?:dev|post)\d*|rc\d+)?)(?:$|[-_])/i.exec(tag);
  return m ? cleanVersion(m[1]) : undefined;
}

/**
 * Pure: which version a target shows: the gateway's own word while it gives one, else the last it
 * gave (a gateway down in a restart loop keeps its version), else its container's image.
 */
export function chooseVersion(
  said: GatewayVersion | undefined,
  lastSaid: GatewayVersion | undefined,
  image: string | undefined,
): GatewayVersion | undefined {
  return said ?? lastSaid ?? (image ? { version: image, source: 'image' } : undefined);
}
