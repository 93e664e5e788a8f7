import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { reservePort } from '../fixtures/app.ts';
import { until } from '../fixtures/until.ts';

export interface PersistentRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL, as in a crash); its data stays on disk. */
  stop(): Promise<void>;
  /** Starts it again (killing it first if running) on the same port and data, resolving when it answers PING. */
  restart(): Promise<void>;
  /** Bytes of memory Redis reports in use (INFO memory used_memory). */
  usedMemory(): Promise<number>;
  /** Kills it and deletes its data. */
  close(): Promise<void>;
}

/** True when a throwaway client can connect and get PONG; any failure is "not yet". */
async function answers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** Bytes of memory a Redis server reports in use (INFO memory used_memory). */
export async function redisUsedMemory(url: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? NaN);
  } finally {
    client.destroy();
  }
}

/**
 * A real redis-server that keeps its data across a kill: append-only file, fsync on every write, in a
 * temporary directory. The shared fixture (test/fixtures/redis.ts) runs Redis without persistence, so a
 * restart there empties it; a production session Redis persists, and "the same session works again after
 * Redis restarts" can only be shown against one that does.
 */
export async function startPersistentRedis(): Promise<PersistentRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lzc-oidc-redis-'));
  const reserved = await reservePort();
  const port = reserved.port;
  await new Promise((resolve) => reserved.server.close(resolve));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    child = started;
    await until(async () => {
      if (started.exitCode !== null) throw new Error(`redis-server exited early (${started.exitCode})`);
      return answers(url);
    }, `redis-server on port ${port} to answer PING`);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    // 'exit' is emitted on a later tick, so listening after kill() cannot miss it.
    if (running?.exitCode === null && running.signalCode === null && running.kill('SIGKILL')) await once(running, 'exit');
  };

  await launch();
  return {
    url,
    port,
    stop,
    // SIGKILL, not SHUTDOWN: a crash. appendfsync always means every acknowledged write is on disk.
    async restart() {
      await stop();
      await launch();
    },
    usedMemory: () => redisUsedMemory(url),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
