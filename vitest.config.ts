import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * End-to-end checks that stop, kill and resume real searches or replay whole recorded runs: about a
 * third of the suite's time. `npm test` leaves them out to stay under 10 minutes on 2 cores (8.7 on 2026-12-07);
 * `npm run test:e2e` runs them, and `.ci/run` runs both.
 */
export const E2E_TESTS = [
  'test/cli/resume.test.ts',
  'test/cli/interrupt.test.ts',
  'test/golden.test.ts',
  'test/fixtures-resume.test.ts',
  'test/readme.test.ts',
  'test/workers/fleet.test.ts',
  'test/export/page.test.ts',
  'test/export/flow.test.ts',
  'test/dashboard/live-search.test.ts',
  // a search and a train on WebGPU through Dawn on a software Vulkan driver (80 s); it moved here
  // when the suite reached 588 s of its 10 minutes on CI's 2 cores
  'test/cli/webgpu.test.ts',
];

export default defineConfig({
  test: {
    include: process.env.NASCENT_E2E ? E2E_TESTS : ['test/**/*.test.ts'],
    exclude: process.env.NASCENT_E2E ? [] : E2E_TESTS,
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
