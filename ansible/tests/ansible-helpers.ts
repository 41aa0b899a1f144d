// Running playbooks against the testbed: shared by the Ansible tests and bench:deploy.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from '../../device/src/shared/index.js';
import type { Testbed, TestbedDevice, TestReleases } from '../../scripts/testbed/testbed.js';

export const ANSIBLE = join(rootDir, 'ansible');
/** The environment the playbooks run in: the project's ansible.cfg, no colours, no host key prompts. */
export const ANSIBLE_ENV = { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_FORCE_COLOR: '0' };
/** Spaces, double quotes, $(…) and backticks: written into device.env by the role, read by systemd and update.sh. */
export const NASTY_DEVICE_NAME = 'Lab "north" $(touch /tmp/pwned) `touch /tmp/pwned2` end';
/** The testbed monitor's backoff ceiling: how long a device that has come up may wait for its next poll. */
export const FLEET_BACKOFF_MAX_S = 10;

export interface PlaybookRun {
  code: number;
  output: string;
  recap: Record<string, { ok: number; changed: number; failed: number; unreachable: number }>;
}

export interface CommandRun {
  /** The exit code; 1 when the command was killed or could not start. */
  code: number;
  stdout: string;
  stderr: string;
}

/** A command with no stdin (nothing may wait for a prompt), killed after `timeoutMs`. Never rejects. */
export function runCommand(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ANSIBLE, env: opts.env ?? ANSIBLE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 900_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 1, stdout, stderr: `${stderr}${String(err)}\n` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export async function playbook(inventory: string, file: string, extra: Record<string, unknown>, args: string[] = []): Promise<PlaybookRun> {
  // From a file of its own, not the command line: extra vars may carry a token.
  const dir = mkdtempSync(join(tmpdir(), 'outpost-extra-vars-'));
  writeFileSync(join(dir, 'vars.json'), JSON.stringify(extra), { mode: 0o600 });
  const r = await runCommand('ansible-playbook', ['-i', inventory, file, '-e', `@${join(dir, 'vars.json')}`, ...args]).finally(() => rmSync(dir, { recursive: true, force: true }));
  const { code } = r;
  const output = r.stdout + r.stderr;
  const recap: PlaybookRun['recap'] = {};
  for (const m of output.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) };
  }
  return { code, output, recap };
}

/** An inventory's `[all:vars]` for the testbed: root over ssh with its key, the test releases, a short poll and backoff. */
export function testbedVars(tb: Testbed, rel: TestReleases): string[] {
  return [
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${tb.sshKey}`,
    "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'",
    'ansible_python_interpreter=/usr/bin/python3',
    // The testbed image has every package; nothing needs the apt cache (and no mirror is needed).
    'outpost_device_apt_update_cache=false',
    'outpost_fleet_apt_update_cache=false',
    'wireguard_apt_update_cache=false',
    `outpost_release_dir=${rel.dir}`,
    `outpost_release_pubkey=${rel.pubkey}`,
    'outpost_fleet_poll_interval_s=2',
    // The monitor starts before the devices exist and backs off while they do not answer; a short
    // ceiling lets the tests wait for a bounded time once they do (README: OUTPOST_FLEET_BACKOFF_MAX_S).
    `outpost_fleet_backoff_max_s=${FLEET_BACKOFF_MAX_S}`,
  ];
}

/** `namedTokens`: the monitor's API tokens by name (outpost_fleet_named_tokens). */
export function writeInventory(file: string, tb: Testbed, rel: TestReleases, opts: { fleet: boolean; vpn: boolean; devices?: TestbedDevice[]; namedTokens?: Record<string, string> }): void {
  const [fleetHost, ...rest] = tb.devices;
  const devices = opts.devices ?? (opts.fleet ? rest : tb.devices);
  // With WireGuard the monitor polls and the devices pull over the tunnel: hub .1, spokes .10 on
  // in sorted order (the wireguard role's deterministic plan).
  const sorted = [...devices].sort((a, b) => a.host.localeCompare(b.host));
  const address = (d: TestbedDevice) => (opts.vpn ? `10.99.0.${10 + sorted.indexOf(d)}` : d.ip);
  const line = (d: TestbedDevice, addr: string) => `${d.host} ansible_host=127.0.0.1 ansible_port=${d.sshPort} outpost_address=${addr}`;
  // One device's name is everything an env file must carry as data (device.env.j2 quotes it).
  const named = (d: TestbedDevice) => (d === sorted[0] ? ` outpost_device_name='${NASTY_DEVICE_NAME}'` : '');
  const lines = [
    // The hub's WireGuard endpoint is its address on the testbed network.
    ...(opts.fleet ? ['[fleet]', `${line(fleetHost!, opts.vpn ? '10.99.0.1' : fleetHost!.ip)} wireguard_endpoint_host=${fleetHost!.ip}`] : []),
    '[devices]',
    ...devices.map((d) => line(d, address(d)) + named(d)),
    '',
    ...testbedVars(tb, rel),
    `outpost_vpn=${opts.vpn ? 'wireguard' : 'none'}`,
    ...(opts.namedTokens ? [`outpost_fleet_named_tokens=${JSON.stringify(opts.namedTokens)}`] : []),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

