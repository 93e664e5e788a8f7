// A local stand-in for what a Lazycat box puts around an lzcapp: lzc-ingress terminates
// TLS and forwards plain HTTP with X-Forwarded-Proto: https; lzcinit starts the exec://
// launcher from the read-only content dir with the manifest's environment rendered.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { until } from '../fixtures/until.ts';
import { execRoute, manifestEnv, type LpkManifest } from './lpk.ts';
import { forward } from '../fixtures/forward.ts';
import type { TlsFiles } from '../fixtures/tls.ts';

/** Every path under dir with its size and mtime: equal snapshots mean nothing was written there. */
export function snapshotTree(dir: string): Map<string, string> {
  const snapshot = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const stat = fs.lstatSync(path.join(dir, entry));
    snapshot.set(entry, `${stat.size}:${stat.mtimeMs}`);
  }
  return snapshot;
}

export interface TlsProxy {
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** HTTPS on 127.0.0.1 forwarding every request, path and Host unchanged, to http://127.0.0.1:<targetPort>. */
export async function startTlsProxy(tls: TlsFiles, targetPort: number): Promise<TlsProxy> {
  const server = https.createServer(tls, (req, res) => {
    forward(req, res, targetPort, {
      ...req.headers,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
      'x-forwarded-by': 'lzc-ingress',
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The app's environment as lzcos renders it from the manifest: `${VAR}` from deployValues,
 * `{{ stable_secret "seed" }}` from stableSecret(seed). Fails on a variable it cannot fill,
 * as a missing mapping would leave the app without it on a box.
 */
export function renderManifestEnv(
  manifest: LpkManifest,
  deployValues: Record<string, string>,
  stableSecret: (seed: string) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, raw] of manifestEnv(manifest)) {
    env[name] = raw
      .replace(/\{\{\s*stable_secret\s+"([^"]+)"\s*\}\}/g, (_m, seed: string) => stableSecret(seed))
      .replace(/\$\{(\w+)\}/g, (_m, variable: string) => {
        const value = deployValues[variable];
        if (value === undefined) throw new Error(`manifest maps ${name} from \${${variable}}, which the test box does not provide`);
        return value;
      });
  }
  return env;
}

export interface RunningApp {
  child: ChildProcess;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the manifest's exec:// launcher from contentDir, as lzcinit does, and waits until readyUrl answers 200. */
export async function startPackagedApp(opts: {
  manifest: LpkManifest;
  contentDir: string;
  env: Record<string, string>;
  readyUrl: string;
}): Promise<RunningApp> {
  const launcher = path.join(opts.contentDir, path.relative('/lzcapp/pkg/content', execRoute(opts.manifest).launcher));
  const child = spawn('sh', [launcher], {
    // Only what the box provides: the rendered manifest environment, plus a PATH with this Node 24 first.
    env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const app: RunningApp = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${output}`);
        const res = await fetch(opts.readyUrl).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200;
      },
      'the packaged app to report ready',
      20_000,
    );
  } catch (err) {
    await app.stop();
    throw new Error(`${(err as Error).message}\n--- app output (tail) ---\n${output.slice(-4000)}`, { cause: err });
  }
  return app;
}
