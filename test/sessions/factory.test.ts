import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { sessionConfig } from './config.ts';

describe('createSessionBackend', () => {
  it('warns that the memory store is for tests and throwaway runs only', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const backend = await createSessionBackend(sessionConfig({ store: 'memory' }), createLogger('info', sink));
    try {
      expect(backend.kind).toBe('memory');
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
      expect(warning?.msg).toMatch(/SESSION_STORE=memory/);
    } finally {
      await backend.close();
    }
  });
});
