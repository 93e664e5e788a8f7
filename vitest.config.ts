import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forks give each test file its own process, so servers and module state never leak between files.
    pool: 'forks',
    // Real servers (providers, Redis, the app) start per file; 30 s leaves room on a slow CI machine.
    testTimeout: 30000,
  },
});
