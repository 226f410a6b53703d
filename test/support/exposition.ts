/** Reading Prometheus text exposition in unit tests, by exact label sets. */

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

/** Every sample of `name` (not of names it is a prefix of). */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels: Labels = {};
    if (rest[0] === '{') {
      const body = rest.slice(1, rest.lastIndexOf('}'));
      for (const m of body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    }
    out.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return out;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The value of the sample of `name` with exactly these labels (undefined when there is none). */
export function value(text: string, name: string, labels: Labels = {}): number | undefined {
  return samples(text, name).find((s) => sameLabels(s.labels, labels))?.value;
}

/** Samples of `name` whose labels include all of `labels`. */
export function matching(text: string, name: string, labels: Labels): Sample[] {
  return samples(text, name).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
