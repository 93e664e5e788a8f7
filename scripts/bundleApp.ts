// npm run build:app [OUT_DIR]: the reference app as the box runs it, bundled into dist/lzcapp/ (server.mjs, a
// chunk per lazily loaded store, and THIRD-PARTY-LICENSES.txt).
//
// Why a bundle: loading 260 separate files costs an idle app ~8 MB of RSS (measured: 86 -> 78 MB with the ASCII
// output; docs/benchmarks.md), through the module records and the machine code Node's loader gets optimised into
// while it resolves them. The library itself still ships as tsc's per-file dist/ with .d.ts; only the packaged app
// is bundled.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Two levels under the root, like dist/app: the app finds views/ and public/ at ../.. from its own file. */
const BUNDLE_DIR = path.join(ROOT, 'dist', 'lzcapp');

interface BundledPackage {
  name: string;
  version: string;
  license: string;
  text: string;
}

/** The package a bundled file came from, by its innermost node_modules folder; undefined for our own sources. */
function packageRoot(file: string): string | undefined {
  const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (at < 0) return undefined;
  const rest = file.slice(at + '/node_modules/'.length).split(path.sep);
  return file.slice(0, at + '/node_modules/'.length) + rest.slice(0, rest[0]!.startsWith('@') ? 2 : 1).join(path.sep);
}

// Packages whose tarball carries no license text at all: the text from their repository (scripts/licenses/).
const VENDORED_LICENSES: Array<{ name: RegExp; license: string; file: string }> = [
  { name: /^(redis|@redis\/.+)$/, license: 'MIT', file: 'node-redis.txt' },
];

/** The text of a package's license: its license file, else the license section of its readme, else ours. */
function licenseText(root: string, pkg: { name: string; license?: string }, files: string[]): string {
  const file = files.find((f) => /^(licen[cs]e|copying)([.\-_]|$)/i.test(f));
  if (file) return readFileSync(path.join(root, file), 'utf8').trim();
  const readme = files.find((f) => /^readme(\.|$)/i.test(f));
  const section =
    readme && /^#+ *licen[cs]e *\r?\n([\s\S]*?)(?=^#+ |(?![\s\S]))/im.exec(readFileSync(path.join(root, readme), 'utf8'))?.[1];
  if (section && /permission is hereby granted/i.test(section)) return section.trim();
  // Only while the package still says the license the kept text is: a change of license fails the build.
  const vendored = VENDORED_LICENSES.find((v) => v.name.test(pkg.name) && v.license === pkg.license);
  if (vendored) return readFileSync(path.join(ROOT, 'scripts', 'licenses', vendored.file), 'utf8').trim();
  throw new Error(`${pkg.name} (${root}) carries no license text: add it to scripts/licenses/ and VENDORED_LICENSES`);
}

function describePackage(root: string): BundledPackage {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const files = readdirSync(root);
  // Apache-2.0 also asks for the NOTICE file to travel with the code.
  const notice = files.find((f) => /^notice(\.|$)/i.test(f));
  const text = [licenseText(root, pkg, files), ...(notice ? [readFileSync(path.join(root, notice), 'utf8').trim()] : [])].join('\n\n');
  return { name: pkg.name, version: pkg.version, license: pkg.license ?? 'UNKNOWN', text };
}

/** Bundles src/app/server.ts into outDir and returns the third-party packages it contains. */
async function bundleApp(outDir: string): Promise<BundledPackage[]> {
  rmSync(outDir, { recursive: true, force: true });
  const bundle = await rolldown({ input: path.join(ROOT, 'src', 'app', 'server.ts'), platform: 'node', logLevel: 'warn' });
  // .mjs: the bundle is ESM wherever it is copied, with or without a package.json beside it.
  const { output } = await bundle.write({
    dir: outDir,
    format: 'esm',
    entryFileNames: '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
    // ASCII: V8 keeps a script's source for lazy compilation, and one Chinese text would make all 1.4 MB of it a
    // two-byte string (2.4 MB of heap instead of 1.4: measured). JSDoc is dropped; license comments stay.
    charset: 'ascii',
    comments: { legal: true, annotation: false, jsdoc: false },
  });
  await bundle.close();
  const roots = new Set<string>();
  for (const chunk of output) {
    if (chunk.type !== 'chunk') continue;
    for (const id of chunk.moduleIds) {
      const root = packageRoot(id);
      if (root) roots.add(root);
    }
  }
  // Nested copies of one version (two folders, the same code) are listed once.
  const byId = new Map([...roots].map(describePackage).map((p) => [`${p.name}@${p.version}`, p]));
  const packages = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  // MIT and its kin ask for their notice in every copy: the box's copy is this folder.
  const notices = packages.map((p) => `${p.name}@${p.version} (${p.license})\n\n${p.text}\n`);
  writeFileSync(
    path.join(outDir, 'THIRD-PARTY-LICENSES.txt'),
    `Third-party packages bundled into server.mjs and its chunks, with their licenses.\n\n${notices.join('\n' + '-'.repeat(78) + '\n\n')}`,
  );
  return packages;
}

const outDir = path.resolve(process.argv[2] ?? BUNDLE_DIR);
const packages = await bundleApp(outDir);
console.log(`bundled the app into ${path.relative(process.cwd(), outDir) || '.'} (${packages.length} third-party packages)`);
