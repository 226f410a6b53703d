/**
 * Prometheus text format 0.0.4 → OpenMetrics 1.0. prom-client can only format one registry in
 * one of the two (its OpenMetrics mode renames counters in place, which would break the other
 * format), so mcpwatch keeps one Prometheus registry and converts when a scraper asks for
 * OpenMetrics: counter families lose their `_total` suffix in HELP/TYPE (samples keep it),
 * `untyped` becomes `unknown`, no blank lines, and `# EOF` at the end.
 */
export function toOpenMetrics(text: string): string {
  return `${openMetricsBody(text)}\n# EOF\n`;
}

/** The OpenMetrics lines of Prometheus text (one family or many), without `# EOF` or a final newline. */
export function openMetricsBody(text: string): string {
  const out: string[] = [];
  // Counter families whose samples need `_total` appended (counters not named …_total).
  const addTotal = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const kind = line.slice(2, 6);
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      const tail = sp < 0 ? '' : rest.slice(sp);
      if (kind === 'TYPE') {
        const type = tail.trim();
        if (type === 'counter') {
          if (name.endsWith('_total')) out.push(`# TYPE ${name.slice(0, -6)} counter`);
          else {
            addTotal.add(name);
            out.push(line);
          }
        } else out.push(`# TYPE ${name} ${type === 'untyped' ? 'unknown' : type}`);
        continue;
      }
      // HELP precedes TYPE in prom-client's output; settle its name once the TYPE is known.
      out.push(line);
      continue;
    }
    if (line.startsWith('#')) continue;
    const nameEnd = line.search(/[{ ]/);
    const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
    out.push(addTotal.has(name) ? `${name}_total${line.slice(name.length)}` : line);
  }
  // Rename HELP lines of counter families now that their TYPE lines are known.
  for (let i = 0; i < out.length - 1; i++) {
    const help = out[i]!;
    const type = out[i + 1]!;
    if (!help.startsWith('# HELP ') || !type.startsWith('# TYPE ')) continue;
    const helpName = help.slice(7).split(' ', 1)[0]!;
    const typeName = type.slice(7).split(' ', 1)[0]!;
    if (helpName !== typeName && helpName === `${typeName}_total`)
      out[i] = `# HELP ${typeName}${help.slice(7 + helpName.length)}`;
  }
  return out.join('\n');
}
