import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../fixtures/logs.ts';
import { createSessionBackend } from '../../src/sessions/index.ts';
import { sessionConfig } from './sessionConfig.ts';

describe('createSessionBackend', () => {
  it('warns that the memory store is for tests and throwaway runs only', async () => {
    const { logger, logs: lines } = capturingLogger('info');
    const backend = await createSessionBackend(sessionConfig({ store: 'memory' }), logger);
    try {
      expect(backend.kind).toBe('memory');
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
      expect(warning?.msg).toMatch(/SESSION_STORE=memory/);
    } finally {
      await backend.close();
    }
  });
});
