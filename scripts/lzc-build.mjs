// Builds the .lpk with lzc-cli's LpkBuild, the class behind `lzc-cli project build`.
// Why not the CLI: it fetches data.jsdelivr.com on every `project` command to look for
// a newer lzc-cli, and packaging may reach no network but the npm registry. The
// devDependency is pinned to an exact version because this deep import is not public API.
// Usage: node scripts/lzc-build.mjs <project-root> <output.lpk>
import fs from 'node:fs';
import path from 'node:path';
import { LpkBuild } from '@lazycatcloud/lzc-cli/lib/app/lpk_build.js';

const [rootArg, outArg] = process.argv.slice(2);
if (!rootArg || !outArg) {
  console.error('usage: node scripts/lzc-build.mjs <project-root> <output.lpk>');
  process.exit(2);
}
const root = path.resolve(rootArg);
const out = path.resolve(outArg);
fs.mkdirSync(path.dirname(out), { recursive: true });
// LpkBuild makes its scratch dir relative to the cwd; keep it inside the ignored dist/.
const scratch = path.join(root, 'dist');
fs.mkdirSync(scratch, { recursive: true });
process.chdir(scratch);

// A content dir per build, so concurrent builds (a test run beside `npm run package`) never
// share one; the buildscript from lzc-build.yml stages into it.
const stage = fs.mkdtempSync(path.join(scratch, 'lzc-content-'));

const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
try {
  const lpk = await new LpkBuild(root, 'lzc-build.yml').init();
  lpk.onBeforeBuildPackage(async (options) => ({
    ...options,
    lpkPath: out,
    contentdir: stage,
    buildscript: `${options.buildscript} '${stage}'`,
  }));
  lpk.onBeforeDumpYaml(async (manifest) => {
    // package.json is the one place the version is bumped.
    manifest.version = version;
    // The app store only accepts images from registry.lazycat.cloud (see docs/lazycat.md).
    if (process.env.LZC_APP_IMAGE) manifest.application.image = process.env.LZC_APP_IMAGE;
    return manifest;
  });
  const written = await lpk.exec();
  console.log(written);
} catch (err) {
  // lzc-cli throws plain (translated) strings as well as Errors.
  console.error(`lpk build failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
