// Helpers for the probe types' format.ts: how a result's details read, a line each (`mcpwatch probe`).

/** What has no line of its own, as JSON. */
export function restLine(rest: object): string[] {
  return Object.keys(rest).length ? [`details:  ${JSON.stringify(rest)}`] : [];
}

/** A list after a head, wrapped at `width` with the continuation lines indented under the first item. */
export function wrap(head: string, items: readonly string[], width = 100): string[] {
  const out: string[] = [];
  let line = head;
  for (const [i, item] of items.entries()) {
    const piece = `${item}${i < items.length - 1 ? ',' : ''}`;
    if (line.length + piece.length + 1 > width && line.trim() !== head.trim()) {
      out.push(line.trimEnd());
      line = ' '.repeat(head.length);
    }
    line += `${piece} `;
  }
  out.push(line.trimEnd());
  return out;
}

/** What an MCP run spoke (`details.protocol`), as one line; none when it did not get that far. */
export function protocolLine(
  p:
    | {
        era: string;
        version: string;
        via: string;
        remembered?: boolean;
        changedFrom?: { era: string; version: string };
      }
    | undefined,
): string[] {
  if (!p) return [];
  const how = p.remembered ? `${p.via}, era remembered for the target` : p.via;
  const changed = p.changedFrom ? `; CHANGED from ${p.changedFrom.era} ${p.changedFrom.version}` : '';
  return [`protocol: ${p.era} ${p.version} (via ${how})${changed}`];
}
