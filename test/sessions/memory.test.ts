import pino from 'pino';
import { createMemoryBackend } from '../../src/sessions/memory.ts';
import { runSessionStoreContract } from './store.contract.ts';
import { sessionConfig } from './sessionConfig.ts';

runSessionStoreContract('memory', async () => createMemoryBackend(sessionConfig({ store: 'memory' }), pino({ level: 'silent' })));
