import { execFileSync } from 'node:child_process';

/** Tests that run the agent as a process use the built CLI, so build it once first. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
