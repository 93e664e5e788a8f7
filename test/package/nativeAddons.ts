// Finds packages that would tie the lpk to one libc or CPU. The lpk ships a single
// content.tar, the app bundled with its dependencies' JavaScript, for every box (amd64 and
// arm64) on an Alpine (musl) image: a dependency that needs a compiled binary could not be
// bundled and would break on some box.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Loaders and build helpers that only a native addon depends on. */
const NATIVE_HELPERS = [
  'node-gyp-build',
  'node-gyp-build-optional-packages',
  'prebuild-install',
  'bindings',
  'node-addon-api',
  'nan',
  'node-pre-gyp',
  '@mapbox/node-pre-gyp',
  'cmake-js',
];
const NATIVE_SCRIPT = /node-gyp|prebuild|node-pre-gyp|cmake-js/;
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

interface PackageJson {
  name?: string;
  gypfile?: boolean;
  os?: string[];
  cpu?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Every `*.node` file and `binding.gyp` under dir, not descending into nested node_modules (separate packages). */
function nativeFiles(dir: string): string[] {
  const found: string[] = [];
  const pending = [dir];
  while (pending.length) {
    const current = pending.pop()!;
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') pending.push(full);
      } else if (entry.name.endsWith('.node') || entry.name === 'binding.gyp') {
        found.push(path.relative(dir, full));
      }
    }
  }
  return found;
}

/** Why the package installed at dir is native or platform-specific; empty when it is portable. */
export function nativeReasons(dir: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  const reasons: string[] = [];
  if (pkg.gypfile) reasons.push('gypfile: true');
  if (pkg.os?.length) reasons.push(`os: ${pkg.os.join(',')}`);
  if (pkg.cpu?.length) reasons.push(`cpu: ${pkg.cpu.join(',')}`);
  for (const name of INSTALL_SCRIPTS) {
    const script = pkg.scripts?.[name];
    if (script && NATIVE_SCRIPT.test(script)) reasons.push(`${name} script: ${script}`);
  }
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
  for (const helper of NATIVE_HELPERS) if (helper in deps) reasons.push(`depends on ${helper}`);
  for (const file of nativeFiles(dir)) reasons.push(`contains ${file}`);
  return reasons;
}

/** Install dirs of every production dependency of the project at root, per `npm ls`. */
export function productionPackageDirs(root: string): string[] {
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  // npm ls also exits 1 for mere warnings (e.g. an extraneous package), so judge by output.
  const dirs = ls.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && path.resolve(line) !== path.resolve(root));
  if (!dirs.length) throw new Error(`npm ls listed no production dependencies in ${root}: ${ls.stderr || ls.error}`);
  return [...new Set(dirs)];
}

/** `<package dir>: <reasons>` for each native production dependency of root. */
export function findNativeProductionDeps(root: string): string[] {
  return productionPackageDirs(root).flatMap((dir) => {
    const reasons = nativeReasons(dir);
    return reasons.length ? [`${path.relative(root, dir)}: ${reasons.join('; ')}`] : [];
  });
}
