export type BodyFault = 'too_large' | 'mid_event' | 'ended' | Error;
/**
 * plain: any body; request_sse: an SSE response to a request, which must not end inside an
 * event; session_sse: the legacy transport's session stream, which must not end at all.
 */
export type BodyMode = 'plain' | 'request_sse' | 'session_sse';

/**
 * Passes a response body through, failing the run (via `onFault`) when it grows past `limit`
 * (then it stops reading and cancels the source, so memory stays bounded), when the connection
 * breaks mid-body, or when an SSE stream ends where it must not (see BodyMode; a clean end of
 * an event is a blank line). `onEnd`: the body ended cleanly (after the rest of it is passed on).
 */
export function watchBody(
  source: ReadableStream<Uint8Array>,
  limit: number,
  mode: BodyMode,
  hooks: { onField?: SseFieldHook; onEnd?: () => void },
  onFault: (why: BodyFault) => Error,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let seen = 0;
  let tail = '';
  /** The unfinished last line of an SSE body, to find `id:` and `retry:` fields across chunks. */
  let line = '';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (err) {
        controller.error(onFault(err as Error));
        return;
      }
      if (r.done) {
        const midEvent = mode !== 'plain' && tail.trim() !== '' && !/\r?\n\r?\n$|\r\r$/.test(tail);
        if (midEvent) controller.error(onFault('mid_event'));
        else if (mode === 'session_sse') controller.error(onFault('ended'));
        else {
          controller.close();
          hooks.onEnd?.();
        }
        return;
      }
      seen += r.value.byteLength;
      if (seen > limit) {
        controller.error(onFault('too_large'));
        void reader.cancel().catch(() => undefined);
        return;
      }
      if (mode !== 'plain') {
        const text = Buffer.from(r.value).toString('latin1');
        tail = (tail + text).slice(-8);
        if (hooks.onField) line = scanFields(line + text, hooks.onField);
      }
      controller.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** What a body fault means, for the reason of the run it fails (`server`: the target's name). */
export function bodyFaultReason(why: BodyFault, server: string, limit: number): string {
  switch (why) {
    case 'too_large':
      return `response from ${server} larger than ${formatBytes(limit)} (maxResponseBytes): stopped reading it`;
    case 'mid_event':
      return `the SSE stream from ${server} ended in the middle of an event`;
    case 'ended':
      return `${server} closed the SSE session stream while the session was in use`;
    default:
      return `the connection to ${server} broke while reading the response (${why.message})`;
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}

/** Sees the `id:` and `retry:` fields of an SSE body as they pass. */
export type SseFieldHook = (field: 'id' | 'retry', value: string) => void;

/**
 * Calls `onField` for each complete `id:` or `retry:` line in `text`; returns the unfinished last line (bounded: those
 * fields are short).
 */
function scanFields(text: string, onField: SseFieldHook): string {
  const lines = text.split(/\r\n|\r|\n/);
  const rest = lines.pop() ?? '';
  for (const l of lines) {
    const m = /^(id|retry):\s?(.*)$/.exec(l);
    if (m) onField(m[1] as 'id' | 'retry', m[2]!);
  }
  return rest.length > 256 ? '' : rest;
}
