import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // tfjs backends are process-global; isolate test files in their own processes.
    pool: 'forks',
    // Test files run one per core, each with one XNNPACK thread (faster than one file with two).
    // Vitest's own default outside watch mode is one worker fewer than the cores: on CI's two, the
    // files ran one at a time and the suite took 14 minutes.
    maxWorkers: availableParallelism(),
    env: { NASCENT_WASM_THREADS: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
