import pino from 'pino';
import { createMemoryBackend } from '../../src/sessions/memory.ts';
import { runSessionStoreContract } from '../contract/sessionStore.contract.ts';
import { sessionConfig } from './config.ts';

runSessionStoreContract('memory', async () => createMemoryBackend(sessionConfig({ store: 'memory' }), pino({ level: 'silent' })));
