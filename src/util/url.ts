/** Joins a base URL (which may carry a path prefix, with or without a trailing slash) and a path (with a query). */
export function joinUrl(base: string, path: string): string {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/+$/, '');
  const [p, query] = splitOnce(path, '?');
  u.pathname = prefix + p;
  u.search = query !== undefined ? `?${query}` : '';
  return u.toString();
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
