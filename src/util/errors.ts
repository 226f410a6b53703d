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

/** A file-system error in a few words for a config problem: "no such file", "permission denied"…, else its code. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return code ?? (err as Error).message;
  }
}
