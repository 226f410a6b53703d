import {
  ClientCredentialsProvider,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
  fetchToken,
  InsecureTokenEndpointError,
  IssuerMismatchError,
  PrivateKeyJwtProvider,
  selectClientAuthMethod,
  selectResourceURL,
  type AuthorizationServerMetadata,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { formatDuration } from '../../config/duration.js';
import type { OAuth2Config, Target } from '../../config/target.js';
import type { Redactor } from '../../util/redact.js';
import { joinUrl } from '../../util/url.js';
import { ProbeFailure, type OAuthFacts, type OAuthRun, type TokenRequestFact } from '../types.js';
import { excerpt } from '../text.js';
import { oauthFetcher } from './fetcher.js';
import {
  describeTokenError,
  expiryOf,
  isOAuthError,
  isUsable,
  tokenErrorWords,
  tokenIssuedStep,
  tokenRequestStep,
  type CachedToken,
} from './tokens.js';

/** Where the target's tokens come from: the token endpoint, its metadata, the resource to name. */
interface Endpoint {
  tokenUrl: string;
  /** The authorization server (its issuer URL when discovered, else the token endpoint's origin). */
  authorizationServer: string;
  metadata: AuthorizationServerMetadata;
  /**
   * RFC 8707 resource indicator, from the gateway's resource metadata (discovery only): as the metadata writes it
   * (the SDK's auth() sends it verbatim too: a URL object would add a slash to a pathless one).
   */
  resource?: string;
  /** Scopes when oauth2.scopes is empty: the 401's `scope`, else the resource's scopes_supported. */
  scopes: string[];
  discovery?: OAuthFacts['discovery'];
}

/** What a token request needs of the run that makes it. */
export interface TokenRunContext {
  signal: AbortSignal;
  timeoutMs: number;
  redactor: Redactor;
  step(msg: string, data?: Record<string, unknown>): void;
}

type AuthMethod = OAuthFacts['authMethod'];

/**
 * The OAuth 2.0 client-credentials token of one target, shared by all its probes and kept between
 * runs (and across reloads that leave the target's URL and oauth2 alone): requested when there is
 * none, renewed shortly before it expires and once after a 401, one request at a time (runs that
 * need one while it is in flight wait for it). The token endpoint is configured (tokenUrl) or
 * discovered the way the MCP authorization spec describes, from the gateway's 401: its
 * `WWW-Authenticate … resource_metadata=` (RFC 9728), then the authorization server's metadata
 * (RFC 8414 or OpenID Connect discovery). The MCP SDK v2 client (@modelcontextprotocol/client) does
 * the discovery, the client authentication (its ClientCredentialsProvider and PrivateKeyJwtProvider)
 * and the token request; it sends credentials only to the authorization server they are bound to
 * (expectedIssuer), and only over https (or plain http to a loopback host).
 * The token is registered with the redactor as soon as it arrives and never logged.
 */
export class TokenSource {
  private cached: CachedToken | undefined;
  private endpoint: Endpoint | undefined;
  private inflight: { promise: Promise<CachedToken>; signal: AbortSignal } | undefined;

  constructor(
    /** Replaced by a reload that leaves the token's settings alone (TokenSources). */
    public target: Target,
    private readonly now: () => number = Date.now,
  ) {
    if (!target.oauth2) throw new Error(`target ${target.name} has no oauth2`);
    const url = target.oauth2.tokenUrl;
    if (url !== undefined) {
      // Only what the token request reads: the endpoint. No issuer: a private_key_jwt assertion is then addressed to
      // the endpoint itself.
      this.endpoint = {
        tokenUrl: url,
        authorizationServer: new URL(url).origin,
        metadata: { token_endpoint: url } as AuthorizationServerMetadata,
        scopes: [],
      };
    }
  }

  private get config(): OAuth2Config {
    return this.target.oauth2!;
  }

  /** A view for one run: what it asks of the source, and what it did (its facts). */
  forRun(run: TokenRunContext): OAuthRun {
    const facts: OAuthFacts = {
      grant: 'client_credentials',
      clientId: this.config.clientId,
      authMethod: this.configuredMethod() ?? 'client_secret_basic',
      scopes: [...this.config.scopes],
      token: 'none',
      requests: [],
      ...(this.endpoint && { tokenEndpoint: this.endpoint.tokenUrl }),
    };
    const used = (t: CachedToken, how: OAuthFacts['token']): string => {
      // A token this run asked for stays "requested" when the run reads it again from the cache.
      if (!(how === 'cached' && facts.token === 'requested' && facts.requests.some((r) => r.outcome === 'ok')))
        facts.token = how;
      if (t.expiresAt !== undefined) facts.expiresAt = t.expiresAt;
      else delete facts.expiresAt;
      return t.value;
    };
    return {
      facts,
      token: async () => {
        const c = this.cached;
        if (c && isUsable(c, this.now())) {
          run.step(`oauth2: token of client "${this.config.clientId}" from the cache (${this.age(c)})`);
          return used(c, 'cached');
        }
        if (!this.endpoint) {
          run.step("oauth2: no token endpoint known yet (no tokenUrl): it is discovered from the gateway's 401");
          return undefined;
        }
        return used(await this.request(run, facts, c ? 'expiring' : 'first'), 'requested');
      },
      renew: async (sent, challenge) => {
        const c = this.cached;
        if (sent !== undefined && c?.value === sent) {
          // A token just issued that draws a 401 is refused for another reason (the gateway's own
          // key check behind the gate, a missing audience): another one would fare no better.
          if (facts.token === 'requested' || c.refusedFresh) {
            if (facts.token === 'requested') c.refusedFresh = true;
            return undefined;
          }
          this.cached = undefined;
        } else if (sent !== undefined && c && c.value !== sent && isUsable(c, this.now())) {
          // Another run renewed it meanwhile.
          return used(c, 'cached');
        }
        if (!this.endpoint) {
          await this.discover(run, facts, challenge);
        } else if (sent === undefined) {
          return undefined; // the endpoint was known, and still no token: token() failed or was not asked
        }
        return used(await this.request(run, facts, sent === undefined ? 'first' : 'unauthorized'), 'requested');
      },
    };
  }

  /** The auth method the config asks for, if it says. */
  private configuredMethod(): AuthMethod | undefined {
    return this.config.tokenAuthMethod ?? (this.config.privateKeyFile !== undefined ? 'private_key_jwt' : undefined);
  }

  private age(t: CachedToken): string {
    const now = this.now();
    const left =
      t.expiresAt === undefined ? 'no expiry given' : `valid ${formatDuration(Math.max(0, t.expiresAt - now))} more`;
    return `obtained ${formatDuration(Math.max(0, now - t.obtainedAt))} ago, ${left}`;
  }

  /** One token request at a time: a run that needs a token while one is requested waits for it. */
  private async request(run: TokenRunContext, facts: OAuthFacts, why: TokenRequestFact['why']): Promise<CachedToken> {
    const joined = this.inflight;
    if (joined) {
      run.step('oauth2: another run of this target is requesting a token: waiting for it');
      try {
        return await joined.promise;
      } catch (err) {
        // That run's own timeout is not this run's: ask again. Its refusal is this run's answer too.
        if (!(joined.signal.aborted && !run.signal.aborted)) throw err;
      }
    }
    const promise = this.requestToken(run, facts, why);
    const mine = { promise, signal: run.signal };
    this.inflight = mine;
    try {
      const token = await promise;
      this.cached = token;
      return token;
    } finally {
      if (this.inflight === mine) this.inflight = undefined;
    }
  }

  /** Discovery: the gateway's resource metadata (RFC 9728), then its authorization server's (RFC 8414 / OIDC). */
  private async discover(run: TokenRunContext, facts: OAuthFacts, challenge: string | undefined): Promise<void> {
    const serverUrl = joinUrl(this.target.url, this.target.mcpPath);
    const params = challenge
      ? extractWWWAuthenticateParams(new Response(null, { status: 401, headers: { 'www-authenticate': challenge } }))
      : {};
    const from = params.resourceMetadataUrl
      ? ` from the 401's resource_metadata ${params.resourceMetadataUrl.href}`
      : ' (the 401 named no resource_metadata: the well-known locations)';
    run.step(`oauth2: discovering the token endpoint of ${serverUrl}${from}`);
    const fetchFn = oauthFetcher(this.target, run, 'discovery');
    try {
      const info = await discoverOAuthServerInfo(serverUrl, {
        ...(params.resourceMetadataUrl && { resourceMetadataUrl: params.resourceMetadataUrl }),
        fetchFn: fetchFn.fetch,
      });
      const metadata = info.authorizationServerMetadata;
      if (!metadata?.token_endpoint) {
        throw new ProbeFailure(
          'http_error',
          `OAuth discovery from ${serverUrl} found no token endpoint ` +
            `(authorization server ${info.authorizationServerUrl}): set oauth2.tokenUrl`,
        );
      }
      // Checked against the server's URL by the SDK; sent as the metadata writes it.
      const selected = await selectResourceURL(
        serverUrl,
        this.provider(facts, String(info.authorizationServerUrl)),
        info.resourceMetadata,
      );
      const resource = selected && (info.resourceMetadata?.resource ?? selected.href);
      const scopes = params.scope
        ? params.scope.split(' ').filter(Boolean)
        : (info.resourceMetadata?.scopes_supported ?? []);
      const discovery = {
        authorizationServer: String(info.authorizationServerUrl),
        ...(params.resourceMetadataUrl && { resourceMetadata: params.resourceMetadataUrl.href }),
      };
      this.endpoint = {
        tokenUrl: metadata.token_endpoint,
        authorizationServer: String(info.authorizationServerUrl),
        metadata,
        scopes,
        discovery,
        ...(resource && { resource }),
      };
      facts.tokenEndpoint = metadata.token_endpoint;
      facts.discovery = discovery;
      const named = resource ? `, resource ${resource}` : '';
      const server = `authorization server ${info.authorizationServerUrl}${named}`;
      run.step(`oauth2: token endpoint ${metadata.token_endpoint} (${server})`);
    } catch (err) {
      if (err instanceof ProbeFailure) throw err;
      const net = fetchFn.failure(err);
      if (net) throw net;
      if (IssuerMismatchError.isInstance(err)) {
        // RFC 8414 3.3: the metadata must name as issuer the URL it was found under; the SDK refuses it otherwise.
        throw new ProbeFailure(
          'http_error',
          `OAuth discovery from ${serverUrl}: the authorization server's metadata names the issuer ` +
            `${String(err.received)}, not ${err.expected}, the URL it was found under, so it is not trusted ` +
            '(RFC 8414 3.3) — set oauth2.tokenUrl, or make them agree (Keycloak: its hostname setting)',
        );
      }
      const said = excerpt((err as Error).message ?? String(err), 240);
      throw new ProbeFailure(
        'http_error',
        `OAuth discovery from ${serverUrl} failed: ${said} — ` +
          "set oauth2.tokenUrl, or check the gateway's resource metadata",
      );
    } finally {
      fetchFn.close();
    }
  }

  /** The SDK provider for this client: a secret (basic or post), or a signed assertion (private_key_jwt). */
  private provider(
    facts: OAuthFacts,
    issuer: string,
    scopes: readonly string[] = this.config.scopes,
  ): OAuthClientProvider {
    const scope = scopes.length ? scopes.join(' ') : undefined;
    // The credentials are bound to the authorization server they are for: the SDK sends them nowhere else.
    const common = {
      clientId: this.config.clientId,
      clientName: 'mcpwatch',
      expectedIssuer: issuer,
      ...(scope && { scope }),
    };
    const key = this.target.oauth2Key;
    if (key) {
      facts.authMethod = 'private_key_jwt';
      return new PrivateKeyJwtProvider({ ...common, privateKey: key.pem, algorithm: key.alg });
    }
    const provider = new ClientCredentialsProvider({ ...common, clientSecret: this.config.clientSecret ?? '' });
    // The SDK's pick from what the endpoint lists (basic first), unless the config says (requestToken passes it on).
    const supported = this.endpoint?.metadata.token_endpoint_auth_methods_supported ?? [];
    facts.authMethod =
      this.configuredMethod() ?? (selectClientAuthMethod(provider.clientInformation(), supported) as AuthMethod);
    return provider;
  }

  private async requestToken(
    run: TokenRunContext,
    facts: OAuthFacts,
    why: TokenRequestFact['why'],
  ): Promise<CachedToken> {
    const endpoint = this.endpoint!;
    const scopes = this.config.scopes.length ? this.config.scopes : endpoint.scopes;
    facts.scopes = [...scopes];
    facts.tokenEndpoint = endpoint.tokenUrl;
    const provider = this.provider(facts, endpoint.authorizationServer, scopes);
    // The configured method wins over what the metadata lists: the SDK picks from that list, so it is given only that
    // one (private_key_jwt signs its assertion whatever the list says).
    const method = this.configuredMethod();
    const metadata: AuthorizationServerMetadata = method
      ? { ...endpoint.metadata, token_endpoint_auth_methods_supported: [method] }
      : endpoint.metadata;
    const fetchFn = oauthFetcher(this.target, run, 'token');
    const at = this.now();
    const t0 = performance.now();
    const fact = (outcome: TokenRequestFact['outcome'], extra: Partial<TokenRequestFact> = {}): void => {
      facts.requests.push({
        at,
        durationMs: Math.round(performance.now() - t0),
        outcome,
        why,
        ...(fetchFn.status() !== undefined && { status: fetchFn.status()! }),
        ...extra,
      });
    };
    run.step(tokenRequestStep(endpoint.tokenUrl, this.config.clientId, facts.authMethod, scopes, why));
    try {
      const tokens = await fetchToken(provider, endpoint.authorizationServer, {
        metadata,
        ...(endpoint.resource && { resource: endpoint.resource }),
        fetchFn: fetchFn.fetch,
      });
      run.redactor.rotateSecret(`oauth2:${this.target.name}`, tokens.access_token);
      const now = this.now();
      const expiresAt = expiryOf(tokens, now);
      fact('ok');
      run.step(tokenIssuedStep(tokens, expiresAt, now));
      return { value: tokens.access_token, obtainedAt: now, ...(expiresAt !== undefined && { expiresAt }) };
    } catch (err) {
      if (isOAuthError(err)) {
        const d = describeTokenError(err, endpoint.tokenUrl, this.config.clientId);
        fact(d.request, d.error ? { error: d.error } : {});
        run.step(`oauth2: ← refused: ${d.error ?? err.code} ${excerpt(tokenErrorWords(err), 200)}`.trimEnd());
        throw new ProbeFailure(d.outcome, d.reason);
      }
      fact('error');
      if (InsecureTokenEndpointError.isInstance(err)) {
        // Nothing was sent: the MCP authorization spec wants the authorization server on https.
        throw new ProbeFailure(
          'tls_error',
          `the token endpoint ${endpoint.tokenUrl} is plain http: the MCP SDK sends client credentials only over ` +
            "https (plain http only to localhost, 127.0.0.1 or ::1) — use the identity provider's https URL",
        );
      }
      const net = fetchFn.failure(err);
      if (net) throw net;
      // The body was no token response (the SDK's schema check): a proxy's page, or not OAuth at all.
      const said = excerpt((err as Error).message ?? String(err), 200);
      throw new ProbeFailure(
        'protocol_error',
        `the token endpoint ${endpoint.tokenUrl} did not answer with a token response: ${said}`,
      );
    } finally {
      fetchFn.close();
    }
  }
}

/**
 * The token sources of a config's targets, kept across reloads: a target whose URL, TLS and
 * oauth2 are unchanged keeps its token.
 */
export class TokenSources {
  private readonly byTarget = new Map<string, { key: string; source: TokenSource }>();

  for(target: Target): TokenSource | undefined {
    if (!target.oauth2) return undefined;
    const key = JSON.stringify([
      target.url,
      target.mcpPath,
      target.tls,
      target.tlsFiles?.ca,
      target.oauth2,
      target.oauth2Key,
    ]);
    const known = this.byTarget.get(target.name);
    if (known?.key === key) {
      // The same settings in a new config object: keep the token, read the target's other fields anew.
      known.source.target = target;
      return known.source;
    }
    const source = new TokenSource(target);
    this.byTarget.set(target.name, { key, source });
    return source;
  }
}
