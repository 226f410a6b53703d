import type { FetchLike, Transport } from '@modelcontextprotocol/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { formatDuration } from '../../config/duration.js';
import { maskHeaders } from '../../util/redact.js';
import { ProbeFailure, type ProbeContext } from '../types.js';
import { excerpt, statusText } from '../text.js';
import { bodyFaultReason, watchBody, type BodyFault, type BodyMode, type SseFieldHook } from './body.js';
import { httpRejection } from './failures.js';
import { retryAfterMs, retryPlan } from './gateway-refusals.js';
import { isProtocolViolation, sentAuth, shortMessage, type SeenResponse } from './responses.js';
import { describeRequest, headersOf, postedMessages, requestIdsOf, responseIdOf } from './sdk-requests.js';

/** Largest response mcpwatch reads from a gateway before giving up on it (per HTTP response). */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/**
 * Resuming a stream the server closed before its response (SSE `retry:` and `id:`, then a GET with
 * `Last-Event-ID`, as the spec lets servers do): attempts per break, and breaks per session before
 * the run gives up on a server that never answers. All of it within the run's timeout.
 */
export const RESUME_ATTEMPTS = 3;
const MAX_RESUMES = 10;
/**
 * After a request's SSE answer ended cleanly, how long its answer may still take to reach the SDK (it is already read:
 * the rest of the stream is parsed in microtasks) before the request counts as never answered.
 */
const ANSWER_GRACE_MS = 250;
/** How much of an error answer's body is kept for the reasons. */
const MAX_KEPT_BODY = 2_000;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
/** When each run (by its signal) opened its first session: what is left of its timeout for a 429's Retry-After. */
const runStarts = new WeakMap<AbortSignal, number>();

/** Where the requests of a session that is ended after the run's signal fired go: their own deadline and connection. */
export interface AfterAbort {
  signal: AbortSignal;
  dispatcher: Dispatcher;
}

/**
 * The fetch under one MCP session's SDK transport, and what it saw: undici with the run's
 * dispatcher and signal, redirects reported rather than followed, every request and answer in the
 * step log (credentials masked), a byte limit on every response, SSE streams watched for a cut
 * inside an event, and the streams of requests followed so that the SDK's resumption of one (GET
 * with Last-Event-ID) is told from the standalone stream. What fails the session out of band (a
 * response over the limit, an invalid message on a stream, a resumption refused) rejects `failed`.
 */
export class SessionFetch {
  /** Every HTTP response of the session (the SDK's errors carry the status, not the headers). */
  readonly responses: SeenResponse[] = [];
  readonly failed: Promise<never>;
  /** `[label] ` before the session's step lines, or nothing. */
  readonly label: string;
  private readonly legacySse: boolean;
  private readonly limit: number;
  private rejectFailed!: (err: unknown) => void;
  /** Set when the session is being closed: streams ending then are its end, not a fault. */
  private closing = false;
  private afterAbort: AfterAbort | undefined;
  /** The last event id of each request's stream (a POST's SSE answer, or the GET that resumed one). */
  private readonly requestStreamIds = new Set<string>();
  private resumes = 0;
  /** Whether the last GET resumed a request's stream (then the SDK giving up on it loses that request's answer). */
  private resumingRequest = false;
  private retryHint: string | undefined;
  /** The ids (as JSON) of the requests answered so far, as the transport handed the answers to the SDK. */
  private readonly answered = new Set<string>();
  /** Whether a 429 was already sent again after its Retry-After (once per session). */
  private retried = false;

  constructor(
    private readonly ctx: ProbeContext,
    spec: { label?: string | undefined; maxResponseBytes?: number | undefined },
  ) {
    this.legacySse = ctx.target.transport === 'sse';
    this.limit = spec.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.label = spec.label ? `[${spec.label}] ` : '';
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
    if (!runStarts.has(ctx.signal)) runStarts.set(ctx.signal, Date.now());
  }

  /** The fetch the SDK's transport is given. */
  readonly fetch: FetchLike = (input, init) => this.send(input, init);

  /** From now on streams ending are the session's end; `afterAbort`: where its last requests go. */
  beginClose(afterAbort?: AfterAbort): void {
    this.closing = true;
    this.afterAbort = afterAbort;
  }

  /** Sees every message the transport hands the SDK, to know which requests were answered. */
  observe(transport: Transport): void {
    let handler: Transport['onmessage'];
    const seen: NonNullable<Transport['onmessage']> = (message, extra) => {
      const id = responseIdOf(message);
      if (id !== undefined) this.answered.add(id);
      handler?.(message, extra);
    };
    Object.defineProperty(transport, 'onmessage', {
      configurable: true,
      enumerable: true,
      get: () => (handler ? seen : undefined),
      set: (h: Transport['onmessage']) => (handler = h),
    });
  }

  /** The SDK client's onerror: what a stream reported out of band. */
  onClientError(err: Error): void {
    if (this.closing || this.ctx.signal.aborted) return; // streams ending because the run ends
    const name = this.ctx.target.name;
    const http = httpRejection(err, this.responses);
    this.ctx.step(
      http
        ? `${this.label}body: ${excerpt(http.body, 300) || '(empty)'}`
        : `${this.label}transport error: ${shortMessage(err, 300)}`,
    );
    // A message that is not valid JSON-RPC on a stream never reaches the pending request: fail the run now.
    if (isProtocolViolation(err)) this.fail(`invalid MCP message from ${name}: ${shortMessage(err)}`);
    // Resuming a request's closed stream failed every time: its answer will not come.
    if (this.resumingRequest && /^Maximum reconnection attempts/.test(err.message)) {
      this.fail(
        `${name} closed the stream of a request before answering it, and resuming it failed ${RESUME_ATTEMPTS} times`,
      );
    }
  }

  private fail(reason: string): ProbeFailure {
    const err = new ProbeFailure('protocol_error', reason);
    this.rejectFailed(err);
    return err;
  }

  private async send(input: string | URL, init: RequestInit | undefined): Promise<Response> {
    const method = init?.method ?? 'GET';
    const url = String(input);
    const sent = headersOf(init?.headers);
    const resumeAfter = this.resumeOf(method, sent);
    // The body is read once: for the step log, the exchange's record and the ids of the requests it carries.
    const messages = method === 'POST' ? postedMessages(init?.body) : [];
    const described = describeRequest(method, messages, this.legacySse);
    const what =
      resumeAfter !== undefined
        ? `(resume the stream after event ${JSON.stringify(resumeAfter)}: the server closed it before the response)`
        : described;
    const suffix = what ? `  ${what}` : '';
    this.ctx.step(`${this.label}${method} ${url}${suffix}`, { headers: maskHeaders(sent, this.ctx.redactor) });
    const res = await undiciFetch(
      input as string,
      {
        ...(init as object),
        signal: this.signalFor(init),
        dispatcher: this.afterAbort?.dispatcher ?? this.ctx.dispatcher,
        redirect: 'manual',
      } as Parameters<typeof undiciFetch>[1],
    );
    const seen = this.record(method, url, sent, res, described);
    const type = res.headers.get('content-type');
    this.ctx.step(`${this.label}← ${statusText(res.status)}${type ? ` (${type})` : ''}${suffix}`);
    if (res.status === 429 && resumeAfter === undefined && !this.closing && (await this.waitedOn429(res, seen))) {
      return this.send(input, init);
    }
    // An error's body is kept (the SDK does not always pass it on: a refused server/discover in pin mode).
    if (!res.ok && res.body && resumeAfter === undefined) return this.readError(res, seen);
    if (resumeAfter !== undefined && !res.ok && !this.closing) {
      // The SDK takes a 405 on GET as "no stream offered" and would wait for the answer until the timeout.
      this.fail(
        `${this.ctx.target.name} closed the stream of a request before answering it, and refused to resume it ` +
          `(GET with Last-Event-ID: ${statusText(res.status)})`,
      );
    }
    if (!res.body) return res as unknown as Response;
    const ids = requestIdsOf(messages);
    return this.watch(res, method, type, resumeAfter !== undefined, init?.signal ?? undefined, ids, what);
  }

  /**
   * The event id a GET resumes a request's stream after, if it does (the Last-Event-ID of one of them, not of the
   * standalone stream); fails the session when the server has made it resume too often.
   */
  private resumeOf(method: string, sent: Record<string, string>): string | undefined {
    const lastEventId = method === 'GET' && !this.legacySse ? sent['last-event-id'] : undefined;
    const resumeAfter = lastEventId !== undefined && this.requestStreamIds.has(lastEventId) ? lastEventId : undefined;
    if (method === 'GET') this.resumingRequest = resumeAfter !== undefined;
    if (resumeAfter !== undefined && ++this.resumes > MAX_RESUMES) {
      throw this.fail(
        `${this.ctx.target.name} closed the stream of a request ${MAX_RESUMES} times without answering it ` +
          '(each time resumed with Last-Event-ID)',
      );
    }
    return resumeAfter;
  }

  /** The SDK's own signal (if any) and the run's; after an abort, the close's own deadline. */
  private signalFor(init: RequestInit | undefined): AbortSignal {
    if (this.afterAbort) return this.afterAbort.signal;
    return init?.signal ? AbortSignal.any([init.signal, this.ctx.signal]) : this.ctx.signal;
  }

  /**
   * A 429 (a rate limit) with a Retry-After that fits in what is left of the run: waits it, once per session, and says
   * so (true: send the request again). Else notes why not, for the reason.
   */
  private async waitedOn429(res: UResponse, seen: SeenResponse): Promise<boolean> {
    const start = runStarts.get(this.ctx.signal) ?? Date.now();
    const plan = retryPlan(seen.retryAfter, this.ctx.timeoutMs - (Date.now() - start), this.retried);
    const ms = seen.retryAfter === undefined ? undefined : retryAfterMs(seen.retryAfter);
    const asks = `${this.label}the gateway asks to retry after ${formatDuration(ms ?? 0)} (Retry-After)`;
    if ('note' in plan) {
      seen.retry = plan.note;
      if (plan.note === 'beyond_timeout')
        this.ctx.step(`${asks}: later than this probe's timeout allows, not waited for`);
      return false;
    }
    this.retried = true;
    seen.retry = 'waited';
    this.ctx.step(`${asks}: waiting, then sending the request again (once)`);
    await res.body?.cancel().catch(() => undefined);
    await sleep(plan.wait, undefined, { signal: this.ctx.signal });
    return true;
  }

  private record(method: string, url: string, sent: Record<string, string>, res: UResponse, rpc: string): SeenResponse {
    const seen: SeenResponse = { method, url, status: res.status, auth: sentAuth(sent, this.ctx.target.apiKeyHeader) };
    const location = res.headers.get('location');
    const www = res.headers.get('www-authenticate');
    const retryAfter = res.status === 429 ? res.headers.get('retry-after') : null;
    const servers = sent['x-mcp-servers'];
    if (location) seen.location = location;
    if (www) seen.wwwAuthenticate = www;
    if (retryAfter) seen.retryAfter = retryAfter;
    if (servers) seen.servers = servers;
    if (rpc && method === 'POST') seen.rpc = rpc;
    this.responses.push(seen);
    return seen;
  }

  /** An error answer read whole (within the byte limit), its start kept in `seen.body`, and passed on. */
  private async readError(res: UResponse, seen: SeenResponse): Promise<Response> {
    const body = res.body as ReadableStream<Uint8Array>;
    const text = await new Response(watchBody(body, this.limit, 'plain', {}, (why) => this.bodyFault(why))).text();
    if (text.trim()) seen.body = text.slice(0, MAX_KEPT_BODY);
    return new Response(NULL_BODY_STATUSES.has(res.status) ? null : text, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers as unknown as Headers,
    });
  }

  /** The response with its body watched: the byte limit, and where an SSE stream may end (see BodyMode). */
  private watch(
    res: UResponse,
    method: string,
    type: string | null,
    resumed: boolean,
    sdkSignal: AbortSignal | undefined,
    ids: readonly string[],
    what: string,
  ): Response {
    const isSse = /text\/event-stream/i.test(type ?? '');
    // A response to a request must not end inside an event; the legacy transport's session stream
    // must not end at all while the session is in use; the standalone GET stream may end any time.
    const mode: BodyMode =
      isSse && method === 'POST'
        ? 'request_sse'
        : isSse && this.legacySse && method === 'GET'
          ? 'session_sse'
          : 'plain';
    const stream: StreamIds = {};
    const onField = this.fieldHook(isSse && (method === 'POST' || resumed), stream);
    // A request's answer stream that ends without the answer and without an event id to resume it from: the SDK would
    // wait for it until the timeout.
    const onEnd =
      mode === 'request_sse' && ids.length > 0 ? () => this.answerStreamEnded(ids, what, stream) : undefined;
    const body = res.body as ReadableStream<Uint8Array>;
    // A body the SDK stopped reading itself (it aborts a request it has given up on, e.g. an initialize answered
    // with a version it does not accept) is not the gateway's fault: the SDK's own error says what happened.
    const watched = watchBody(body, this.limit, mode, { onField, ...(onEnd && { onEnd }) }, (why) =>
      this.bodyFault(why, sdkSignal?.aborted),
    );
    return new Response(watched, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers as unknown as Headers,
    });
  }

  /**
   * Sees the SSE fields of one response: the last event id of a request's stream (so that a GET resuming after it is
   * known to resume that request), and the server's `retry:` (logged once per value).
   */
  private fieldHook(requestStream: boolean, stream: StreamIds): SseFieldHook {
    return (field, value) => {
      if (field === 'id' && requestStream) {
        if (stream.lastId !== undefined) this.requestStreamIds.delete(stream.lastId);
        stream.lastId = value;
        this.requestStreamIds.add(value);
      } else if (field === 'retry' && value !== this.retryHint && /^\d+$/.test(value)) {
        this.retryHint = value;
        const after = formatDuration(Number(value));
        this.ctx.step(`${this.label}the server asks to reconnect after ${after} if a stream breaks (SSE retry)`);
      }
    };
  }

  /**
   * A request's SSE answer ended cleanly: with an event id the SDK resumes it (GET with Last-Event-ID); without one,
   * an answer not handed to the SDK by now never comes (a gateway stopped or restarted mid-request ends its streams
   * cleanly), and the session fails at once instead of at the run's timeout.
   */
  private answerStreamEnded(ids: readonly string[], what: string, stream: StreamIds): void {
    if (stream.lastId !== undefined) return;
    setTimeout(() => {
      if (this.closing || this.ctx.signal.aborted || ids.every((id) => this.answered.has(id))) return;
      const to = what ? ` to ${what}` : '';
      this.ctx.step(`${this.label}the stream of the answer${to} ended without it, with no event id to resume from`);
      this.fail(
        `${this.ctx.target.name} ended the stream of its answer${to} without the answer, and with no event id to ` +
          'resume it from: the gateway was stopped or restarted during the request, or dropped it',
      );
    }, ANSWER_GRACE_MS).unref();
  }

  private bodyFault(why: BodyFault, sdkAborted = false): Error {
    const err = new ProbeFailure('protocol_error', bodyFaultReason(why, this.ctx.target.name, this.limit));
    if (!this.closing && !this.ctx.signal.aborted && !sdkAborted) this.rejectFailed(err);
    return err;
  }
}

type UResponse = Awaited<ReturnType<typeof undiciFetch>>;

/** The event ids one response's SSE stream carried: the last one, if any. */
interface StreamIds {
  lastId?: string;
}
