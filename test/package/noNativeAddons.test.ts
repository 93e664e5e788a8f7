import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findNativeProductionDeps, nativeReasons, productionPackageDirs } from './nativeAddons.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('production dependencies', () => {
  it('include no native addon, so one content.tar runs on musl and glibc, amd64 and arm64', () => {
    expect(findNativeProductionDeps(ROOT)).toEqual([]);
  }, 60_000);

  it('are what npm ls walks: express yes, devDependencies no', () => {
    const names = productionPackageDirs(ROOT).map((dir) => path.relative(path.join(ROOT, 'node_modules'), dir));
    expect(names).toContain('express');
    expect(names).not.toContain('vitest');
    expect(names).not.toContain('oidc-provider');
  }, 60_000);
});

// The detector must see each kind of native package, or the test above proves nothing.
describe('nativeReasons', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lzc-native-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const makePackage = (name: string, pkg: object, files: Record<string, string> = {}): string => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...pkg }));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    return dir;
  };

  it('accepts a pure JavaScript package', () => {
    expect(nativeReasons(makePackage('pure', { main: 'index.js' }, { 'index.js': '' }))).toEqual([]);
  });

  it.each([
    ['binding.gyp', {}, { 'binding.gyp': '{}' }, 'contains binding.gyp'],
    [
      'a compiled .node file deep inside',
      {},
      { 'build/Release/addon.node': '' },
      `contains ${path.join('build', 'Release', 'addon.node')}`,
    ],
    ['gypfile: true', { gypfile: true }, {}, 'gypfile: true'],
    ['a node-gyp-build install script', { scripts: { install: 'node-gyp-build' } }, {}, 'install script: node-gyp-build'],
    ['a prebuild-install install script', { scripts: { install: 'prebuild-install || node-gyp rebuild' } }, {}, 'install script'],
    ['a node-gyp-build dependency', { dependencies: { 'node-gyp-build': '^4' } }, {}, 'depends on node-gyp-build'],
    ['a platform-specific binary package', { os: ['linux'], cpu: ['x64'] }, {}, 'cpu: x64'],
  ])('flags %s', (label, pkg, files, reason) => {
    const reasons = nativeReasons(makePackage(label.replace(/\W+/g, '-'), pkg, files));
    expect(reasons.some((r) => r.startsWith(reason))).toBe(true);
  });

  it('leaves nested node_modules to their own package', () => {
    const dir = makePackage('outer', {}, { 'node_modules/inner/addon.node': '' });
    expect(nativeReasons(dir)).toEqual([]);
  });
});
