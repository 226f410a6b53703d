import { vi } from 'vitest';

export interface Output {
  stdout: string;
  stderr: string;
}

/** What `fn` writes to stdout and stderr (kept from the terminal), with what it returns. */
export async function captured<T>(fn: () => Promise<T>): Promise<Output & { value: T }> {
  const out: Output = { stdout: '', stderr: '' };
  const keep = (stream: 'stdout' | 'stderr') =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    });
  const spies = [keep('stdout'), keep('stderr')];
  try {
    const value = await fn();
    return { ...out, value };
  } finally {
    for (const s of spies) s.mockRestore();
  }
}
