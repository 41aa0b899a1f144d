// Two test projects: `unit` (fast, no external processes) and `integration` (real chromium, Xvfb,
// x11vnc, dockerd, systemd testbed containers, Ansible). `npm test` runs both.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['{device,fleet,scripts,web}/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.{ts,tsx}', '**/node_modules/**', 'dist/**'],
          environment: 'node',
          testTimeout: 20_000,
          // Test files of a worker share loaded modules instead of importing the app again for each:
          // on two cores that is 45 s instead of 62 s. Unit tests keep no state in modules (fakes
          // are made per test; nothing uses vi.mock), so sharing changes no result.
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          // After the unit project: fail fast on cheap tests before starting browsers and containers.
          sequence: { groupOrder: 1 },
          include: ['{device,fleet,scripts,web,ansible}/**/*.int.test.{ts,tsx}'],
          exclude: ['**/node_modules/**', 'dist/**'],
          environment: 'node',
          globalSetup: ['device/test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Two cores: browsers and containers fight for CPU, so files run one or two at a time.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
