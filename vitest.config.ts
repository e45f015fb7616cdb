import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // tfjs backends are process-global; isolate test files in their own processes.
    pool: 'forks',
    // Test files run two at a time on two cores: one XNNPACK thread each is faster than two.
    env: { NASCENT_WASM_THREADS: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
