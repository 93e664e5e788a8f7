import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { SessionData } from 'express-session';
import pino from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionConfig } from '../../src/config/types.ts';
import { createRedisBackend, redisVersionProblem } from '../../src/sessions/redis.ts';
import type { SessionBackend } from '../../src/sessions/types.ts';
import { runSessionStoreContract, sessionData, storeUnavailable } from './store.contract.ts';
import { startRedis, type RedisServer } from '../fixtures/redis.ts';
import { freePort } from '../fixtures/app.ts';
import { until } from '../fixtures/until.ts';
import { sessionConfig } from './sessionConfig.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const silent = pino({ level: 'silent' });
// A prefix per backend keeps tests sharing one server from seeing (or clearing) each other's keys.
const redisConfig = (): SessionConfig => sessionConfig({ store: 'redis', redisUrl: redis.url, redisPrefix: `test-${randomUUID()}:` });

runSessionStoreContract('redis', () => createRedisBackend(redisConfig(), silent));

function getSession(backend: SessionBackend, id: string): Promise<SessionData | null | undefined> {
  return new Promise((resolve, reject) => backend.store.get(id, (err, sess) => (err ? reject(err) : resolve(sess))));
}
function setSession(backend: SessionBackend, id: string, data: SessionData): Promise<void> {
  return new Promise((resolve, reject) => backend.store.set(id, data, (err) => (err ? reject(err) : resolve())));
}
const answers = (backend: SessionBackend) => () =>
  backend.ping().then(
    () => true,
    () => false,
  );

describe('redis session backend: outages', () => {
  it('fails fast as SESSION_STORE_UNAVAILABLE while Redis is down and recovers by itself', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const backend = await createRedisBackend(redisConfig(), logger);
    try {
      await setSession(backend, 'before', sessionData(60_000));
      await redis.stop();

      await expect(backend.ping()).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.set('k', 1, 60)).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.add('k', 1, 60)).rejects.toEqual(storeUnavailable);
      await expect(backend.indexSession('s', { sub: 'u' }, 60)).rejects.toEqual(storeUnavailable);
      await expect(getSession(backend, 'before')).rejects.toEqual(storeUnavailable);
      await expect(setSession(backend, 'during', sessionData(60_000))).rejects.toEqual(storeUnavailable);
      // Reconnect failures went to the log, not to an unhandled 'error' event.
      await until(() => logged.some((line) => line.includes('reconnecting')), 'the outage to be logged');

      await redis.restart();
      await until(answers(backend), 'the same backend to reconnect');
      await setSession(backend, 'after', sessionData(60_000, { back: true }));
      expect(await getSession(backend, 'after')).toMatchObject({ back: true });
      await backend.kv.set('k', 'v', 60);
      expect(await backend.kv.get('k')).toBe('v');
    } finally {
      await backend.close();
    }
  });

  it('bounds each command when Redis accepts connections but stops answering', async () => {
    const backend = await createRedisBackend(redisConfig(), silent, { commandTimeoutMs: 300 });
    try {
      await backend.kv.set('k', 'before', 60);
      redis.pause();
      try {
        await expect(backend.kv.get('k')).rejects.toEqual(storeUnavailable);
        await expect(getSession(backend, 's')).rejects.toEqual(storeUnavailable);
      } finally {
        redis.resume();
      }
      // Replies to the abandoned commands arrive late; they must not be handed to later ones.
      await until(answers(backend), 'Redis to answer again');
      await backend.kv.set('other', 'after', 60);
      expect(await backend.kv.get('other')).toBe('after');
      expect(await backend.kv.get('k')).toBe('before');
    } finally {
      await backend.close();
    }
  });

  it('boots while Redis is down, answering 503 until it comes up', async () => {
    await redis.stop();
    const backend = await createRedisBackend(redisConfig(), silent, { bootWaitMs: 100 });
    try {
      await expect(backend.ping()).rejects.toEqual(storeUnavailable);
      await redis.restart();
      await until(answers(backend), 'the first connection');
      await backend.kv.set('k', 1, 60);
      expect(await backend.kv.get('k')).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it('refuses to boot without a usable REDIS_URL', async () => {
    await expect(createRedisBackend(sessionConfig({ store: 'redis', redisUrl: undefined }), silent)).rejects.toThrow(
      'SESSION_STORE=redis needs REDIS_URL',
    );
    await expect(createRedisBackend(sessionConfig({ store: 'redis', redisUrl: 'http://user:hunter2@example' }), silent)).rejects.toThrow(
      /^REDIS_URL is not usable: (?!.*hunter2)/,
    );
  });
});

/** One RESP command (an array of bulk strings) from the front of `buffered`, or undefined until all of it arrived. */
function parseCommand(buffered: string): { args: string[]; length: number } | undefined {
  const head = /^\*(\d+)\r\n/.exec(buffered);
  if (!head) return undefined;
  let at = head[0].length;
  const args: string[] = [];
  for (let i = 0; i < Number(head[1]); i++) {
    const size = /^\$(\d+)\r\n/.exec(buffered.slice(at));
    if (!size) return undefined;
    const start = at + size[0].length;
    const end = start + Number(size[1]);
    if (buffered.length < end + 2) return undefined;
    args.push(buffered.slice(start, end));
    at = end + 2;
  }
  return { args, length: at };
}

const infoOfVersion = (version: string): string => {
  const info = `# Server\r\nredis_version:${version}\r\nredis_mode:standalone\r\n`;
  return `$${info.length}\r\n${info}\r\n`;
};

/**
 * A Redis older than the app supports can't be installed here, so this stands in for one: a real TCP server on
 * 127.0.0.1 speaking just enough RESP for the client's handshake (CLIENT SETINFO, PING), answering INFO with `infoReply`.
 */
async function fakeRedis(infoReply: string, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const reply = (command: string | undefined): string => (command === 'INFO' ? infoReply : command === 'PING' ? '+PONG\r\n' : '+OK\r\n');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let command = parseCommand(buffered); command; command = parseCommand(buffered)) {
        buffered = buffered.slice(command.length);
        socket.write(reply(command.args[0]?.toUpperCase()));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${bound}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('redis session backend: server version', () => {
  it('accepts Redis 7.0 and newer, and names the found and needed versions otherwise', () => {
    for (const version of ['7.0.0', '7.0.15', '7.2.4', '8.0.2', '10.1.0']) {
      expect(redisVersionProblem(`# Server\r\nredis_version:${version}\r\nredis_git_sha1:0\r\n`)).toBeUndefined();
    }
    expect(redisVersionProblem('# Server\r\nredis_version:6.2.14\r\n')).toBe(
      'Redis server is version 6.2.14; lzc-oidc needs Redis 7.0 or newer (EXPIRE NX/GT)',
    );
    expect(redisVersionProblem('redis_version:6.0.16\r\n')).toMatch(/^Redis server is version 6\.0\.16;/);
    expect(redisVersionProblem('# Server\r\nredis_mode:standalone\r\n')).toBe(
      'Redis server did not report a usable version (redis_version: missing); lzc-oidc needs Redis 7.0 or newer (EXPIRE NX/GT)',
    );
    expect(redisVersionProblem('redis_version:unknown\r\n')).toMatch(/did not report a usable version \(redis_version: unknown\)/);
  });

  it('boots against the real test Redis, which is new enough', async () => {
    const client = await createClient({ url: redis.url }).connect();
    try {
      expect(redisVersionProblem(await client.info('server'))).toBeUndefined();
    } finally {
      client.destroy();
    }
    const backend = await createRedisBackend(redisConfig(), silent);
    try {
      await expect(backend.ping()).resolves.toBeUndefined();
    } finally {
      await backend.close();
    }
  });

  it('refuses to boot against an older server, naming both versions', async () => {
    const old = await fakeRedis(infoOfVersion('6.2.14'));
    try {
      await expect(createRedisBackend(sessionConfig({ store: 'redis', redisUrl: old.url }), silent)).rejects.toThrow(
        'Redis server is version 6.2.14; lzc-oidc needs Redis 7.0 or newer (EXPIRE NX/GT)',
      );
    } finally {
      await old.close();
    }
  });

  it('boots with a warning when the server refuses INFO (an ACL without it): that says nothing about its version', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const acl = await fakeRedis("-NOPERM this user has no permissions to run the 'info' command\r\n");
    try {
      const backend = await createRedisBackend(sessionConfig({ store: 'redis', redisUrl: acl.url }), logger);
      try {
        await expect(backend.ping()).resolves.toBeUndefined();
        expect(logged).toEqual([expect.stringContaining('session store (Redis) connected, but its version could not be checked')]);
      } finally {
        await backend.close();
      }
    } finally {
      await acl.close();
    }
  });

  it('fails every call as SESSION_STORE_UNAVAILABLE, saying why, when an older server appears after boot', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const port = await freePort();
    const backend = await createRedisBackend(sessionConfig({ store: 'redis', redisUrl: `redis://127.0.0.1:${port}` }), logger, {
      bootWaitMs: 100,
    });
    const old = await fakeRedis(infoOfVersion('6.0.16'), port);
    try {
      await until(
        () => logged.some((line) => line.includes('Redis server is version 6.0.16; lzc-oidc needs Redis 7.0')),
        'the old server to be found out',
      );
      await expect(backend.ping()).rejects.toEqual(storeUnavailable);
      await expect(backend.kv.get('k')).rejects.toEqual(storeUnavailable);
      await expect(getSession(backend, 's')).rejects.toEqual(storeUnavailable);
    } finally {
      await backend.close();
      await old.close();
    }
  });
});
