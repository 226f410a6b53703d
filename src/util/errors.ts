/** The message of an error's innermost cause that has one (fetch wraps network errors in a TypeError). */
export function innermostMessage(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  for (
    let e: unknown = (err as { cause?: unknown } | null | undefined)?.cause, depth = 0;
    e && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof Error && e.message) msg = e.message;
  }
  return msg;
}
