import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from './support/agent-proc.js';

// The shape of src/ (.dependency-cruiser.cjs): no import circles, every arrow points down, the
// HTTP layer and the MCP tools reach the agent only through their ports. dependency-cruiser
// resolves every import, type-only ones included.

const DEPCRUISE = join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruise(cwd: string, config = join(REPO, '.dependency-cruiser.cjs')): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', config, '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function tree(files: Record<string, string>): string {
  const dir = tempDir('mcpwatch-arch-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  return dir;
}

describe('code layout', () => {
  it('src/ has no import circle and no import up a layer', () => {
    const r = cruise(REPO);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.code).toBe(0);
  });

  it('the check fails on a circle, on an import up a layer, and on the HTTP layer importing the agent', () => {
    const dir = tree({
      'src/probes/a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
      'src/probes/b.ts':
        "import type { a } from './a.js';\nexport const b = (): number => 1;\nexport type A = typeof a;\n",
      'src/logs/tail.ts': "import { a } from '../probes/a.js';\nexport const t = a;\n",
      'src/runtime/agent.ts': 'export class Agent {}\n',
      'src/server/app.ts': "import { Agent } from '../runtime/agent.js';\nexport const app = new Agent();\n",
    });
    const r = cruise(dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-circular: src\/probes\/a\.ts/);
    expect(r.out).toMatch(/layer-logs: src\/logs\/tail\.ts → src\/probes\/a\.ts/);
    expect(r.out).toMatch(/layer-server: src\/server\/app\.ts → src\/runtime\/agent\.ts/);
  });
});
