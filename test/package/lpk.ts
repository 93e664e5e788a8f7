// Builds (or reuses) the .lpk and unpacks it the way lzcos does: the .lpk is a zip
// (LPK v1) holding manifest.yml, icon.png and content.tar, which becomes the read-only
// /lzcapp/pkg/content on the box.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LpkManifest {
  package: string;
  version: string;
  min_os_version?: string;
  usage?: string;
  locales?: Record<string, { name?: string; description?: string; usage?: string }>;
  application: {
    subdomain: string;
    image?: string;
    oidc_redirect_path?: string;
    routes?: string[];
    health_check?: { test_url?: string; start_period?: string; timeout?: string };
    environment?: string[];
  };
}

export interface UnpackedLpk {
  lpkPath: string;
  /** Names of the members of the zip. */
  members: string[];
  manifest: LpkManifest;
  /** content.tar extracted here: what /lzcapp/pkg/content holds on the box. */
  contentDir: string;
  /** Entries of content.tar, without the leading "./". */
  contentEntries: string[];
}

/** $LPK_PATH when set (e.g. a CI artefact), else a fresh `scripts/package.sh` build into workDir. */
export function buildLpk(workDir: string): string {
  if (process.env.LPK_PATH) return path.resolve(process.env.LPK_PATH);
  const lpkPath = path.join(workDir, 'app.lpk');
  execFileSync('bash', [path.join(ROOT, 'scripts/package.sh')], {
    cwd: ROOT,
    env: { ...process.env, LPK_OUT: lpkPath },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
  return lpkPath;
}

export function unpackLpk(lpkPath: string, workDir: string): UnpackedLpk {
  const zipDir = path.join(workDir, 'lpk');
  const contentDir = path.join(workDir, 'content');
  fs.mkdirSync(zipDir, { recursive: true });
  fs.mkdirSync(contentDir, { recursive: true });
  // python3's zipfile: present on every dev and CI machine here, unlike unzip.
  const members = execFileSync(
    'python3',
    [
      '-c',
      'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nz.extractall(sys.argv[2])\nprint("\\n".join(z.namelist()))',
      lpkPath,
      zipDir,
    ],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  const tar = path.join(zipDir, 'content.tar');
  const contentEntries = execFileSync('tar', ['-tf', tar], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n')
    .map((entry) => entry.replace(/^\.\//, ''))
    .filter(Boolean);
  execFileSync('tar', ['-xf', tar, '-C', contentDir]);
  const manifest = parse(fs.readFileSync(path.join(zipDir, 'manifest.yml'), 'utf8')) as LpkManifest;
  return { lpkPath, members, manifest, contentDir, contentEntries };
}

/** application.environment as a map; each entry is NAME=VALUE (only the first = splits). */
export function manifestEnv(manifest: LpkManifest): Map<string, string> {
  return new Map(
    (manifest.application.environment ?? []).map((entry) => {
      const eq = entry.indexOf('=');
      return [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
}

/** The single exec:// route: `/=exec://PORT,/lzcapp/pkg/content/<launcher>`. */
export function execRoute(manifest: LpkManifest): { location: string; port: number; launcher: string } {
  const routes = (manifest.application.routes ?? []).map((r) => /^([^=]+)=exec:\/\/(\d+),(\S+)$/.exec(r)).filter((m) => m !== null);
  if (routes.length !== 1) throw new Error(`expected one exec:// route, got ${JSON.stringify(manifest.application.routes)}`);
  const [, location, port, launcher] = routes[0]!;
  return { location: location!, port: Number(port), launcher: launcher! };
}
