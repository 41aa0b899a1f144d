// npm run bench:deploy — wall time of ansible-playbook deploy.yml over N testbed devices for
// N = 1, 3, 6 (how it grows), and of the idempotent second run. Devices are real systemd hosts in
// Docker; Ansible connects over ssh on 127.0.0.1.
//
// env: BENCH_SIZES (1,3,6)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playbook, writeInventory } from '../../ansible/tests/ansible-helpers.js';
import { buildTestReleases, startTestbed } from '../testbed/testbed.js';

const sizes = (process.env.BENCH_SIZES ?? '1,3,6').split(',').map(Number);
const max = Math.max(...sizes);
const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-deploy-'));
const rel = buildTestReleases(join(dir, 'releases'), [{ version: '1.0.0' }, { version: '2.0.0' }]);
const tb = await startTestbed({ name: 'outpost-tb-deploy', count: max, net: 82, sshBase: 2700, httpBase: 18600 });
const rows: string[] = [];
try {
  for (const n of sizes) {
    const inventory = join(dir, `hosts-${n}.ini`);
    writeInventory(inventory, tb, rel, { fleet: false, vpn: false, devices: tb.devices.slice(0, n) });
    // Every device starts on 1.0.0 (not timed).
    const setup = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' });
    if (setup.code !== 0) throw new Error(`site.yml on ${n}: ${setup.output.slice(-2000)}`);
    let t0 = performance.now();
    const first = await playbook(inventory, 'deploy.yml', { outpost_release_version: '2.0.0' });
    const firstS = (performance.now() - t0) / 1000;
    if (first.code !== 0) throw new Error(`deploy.yml on ${n}: ${first.output.slice(-2000)}`);
    t0 = performance.now();
    const second = await playbook(inventory, 'deploy.yml', { outpost_release_version: '2.0.0' });
    const secondS = (performance.now() - t0) / 1000;
    const changed = Object.values(second.recap).reduce((a, r) => a + r.changed, 0);
    rows.push(`N=${n}: deploy.yml ${firstS.toFixed(1)} s, idempotent second run ${secondS.toFixed(1)} s (changed=${changed})`);
    console.log(rows[rows.length - 1]);
  }
  console.log('waves: 1 canary, then 25%, then the rest; each host passes the /api/health gate before the next wave');
} finally {
  await tb.down();
  rmSync(dir, { recursive: true, force: true });
}
