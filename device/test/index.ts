// The appliance's test kit, the one door into device/test from outside device/ (fleet tests, web UI
// tests, scripts, benchmarks, Ansible tests): temp dirs, tokens, waiting on conditions, a running
// appliance, chromium, test pages, dockerd, the route tables, and the leak checks' owner keys.
export { CHROMIUM, deviceConfig, freePort, runBuiltMain, tempDir, testToken, testWebRoot, waitFor } from './helpers.js';
export { startAppliance, waitForPool, type TestAppliance } from './appliance.js';
export { liveViewCenterPixel, useToken, watchCspViolations } from './browser.js';
export { startTestPages, testDownloadBytes, type TestPages } from './pages.js';
export { BUSYBOX_IMAGE, TEST_LABEL, dockerClient, ensureDockerd } from './docker-env.js';
export { documentProblems, schemaErrors, type OpenApiDocument } from './openapi.js';
export { metricFamilies, promtool, type PromtoolResult } from './promtool.js';
export { sampleDeviceMetrics } from './metrics-sample.js';
export { SPELLINGS_PER_PATH, concretePath, printTableSummary, rawRequest, tableProblems, withQuery, type Credential, type TableCase } from './route-table.js';
// What leak checks look for: processes and containers the appliance owns.
export { findOwnedProcesses, ownerKey } from '../src/sessions/backends/owned-processes.js';
export { managedFilter } from '../src/docker/container-labels.js';
