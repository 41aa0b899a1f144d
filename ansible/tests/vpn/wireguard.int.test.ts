// The wireguard role for real on a testbed of systemd devices: tb1 is the hub (group fleet), tb2
// and tb3 the spokes (group devices). The testbed kernel has no WireGuard module, so this also runs
// wg-quick's fallback to wireguard-go. ansible-playbook runs twice: the second run must change nothing.
// The tailscale role runs on tb3 too, against a stub CLI (no tailnet is reachable from the tests).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../../device/src/shared/index.js';
import { tempDir, waitFor } from '../../../device/test/index.js';
import { startTestbed, type Testbed, type TestbedDevice } from '../../../scripts/testbed/testbed.js';

const ansibleDir = join(rootDir, 'ansible');
const playbook = join(ansibleDir, 'tests/vpn/vpn.yml');
const tailscalePlaybook = join(ansibleDir, 'tests/vpn/tailscale.yml');

// The role's default network and numbering: hub .1, spokes .(10 + position in the sorted group).
const EXPECTED: Record<string, string> = { tb1: '10.99.0.1', tb2: '10.99.0.10', tb3: '10.99.0.11' };

interface PlaybookRun {
  code: number | null;
  output: string;
}

/** ansible-playbook with stdout and stderr interleaved, as an operator would see it. */
function runPlaybook(inventory: string, args: string[] = [], book = playbook): Promise<PlaybookRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-i', inventory, book, ...args], {
      // ansible/ so the project's ansible.cfg applies; roles path and the rest pinned here anyway.
      cwd: ansibleDir,
      env: {
        ...process.env,
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_ROLES_PATH: join(ansibleDir, 'roles'),
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 150_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** host -> `changed` count from the PLAY RECAP. */
function recapChanged(output: string): Record<string, number> {
  const recap = output.slice(output.lastIndexOf('PLAY RECAP'));
  const result: Record<string, number> = {};
  for (const m of recap.matchAll(/^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    result[m[1]!] = Number(m[2]);
  }
  return result;
}

describe('wireguard role on a testbed (hub tb1, spokes tb2 and tb3)', () => {
  const dir = tempDir('outpost-vpn-test-');
  let tb: Testbed;
  let first: PlaybookRun;
  let hub: TestbedDevice;
  let spokes: TestbedDevice[];
  const sh = async (d: TestbedDevice, cmd: string) => {
    const r = await tb.exec(d, cmd, { timeoutMs: 20_000 });
    return { ...r, stdout: r.stdout.trim() };
  };

  beforeAll(async () => {
    tb = await startTestbed({ name: 'outpost-tb-vpn', count: 3, net: 79, sshBase: 2400, httpBase: 18300 });
    [hub, ...spokes] = tb.devices as [TestbedDevice, ...TestbedDevice[]];
    // The testbed's own inventory puts every device in `devices`; this one makes tb1 the hub. Spokes
    // reach the hub at its testbed network address (ansible_host is the published 127.0.0.1 port).
    const line = (d: TestbedDevice, extra = '') => `${d.host} ansible_port=${d.sshPort}${extra}`;
    const inventory = join(dir.path, 'vpn.ini');
    writeFileSync(
      inventory,
      [
        '[fleet]',
        line(hub, ` wireguard_endpoint_host=${hub.ip}`),
        '',
        '[devices]',
        ...spokes.map((d) => line(d)),
        '',
        '[all:vars]',
        'ansible_host=127.0.0.1',
        'ansible_user=root',
        `ansible_ssh_private_key_file=${tb.sshKey}`,
        "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'",
        'ansible_python_interpreter=/usr/bin/python3',
        // wireguard-tools and wireguard-go are in the testbed image: don't make the test depend on a mirror.
        'wireguard_apt_update_cache=false',
        '',
      ].join('\n'),
    );
    // --diff and -v: the most the role ever shows; the private keys must not be in it.
    first = await runPlaybook(inventory, ['--diff', '-v']);
    writeFileSync(join(dir.path, 'first-run.log'), first.output);
  });

  afterAll(async () => {
    await tb?.down();
    dir.remove();
  });

  it('brings wg0 up on every host with its address from the inventory', async () => {
    expect(first.code, first.output.slice(-4000)).toBe(0);
    for (const d of tb.devices) {
      expect((await sh(d, 'systemctl is-active wg-quick@wg0')).stdout, d.host).toBe('active');
      expect((await sh(d, 'systemctl is-enabled wg-quick@wg0')).stdout, d.host).toBe('enabled');
      const addr = await sh(d, 'ip -4 -o addr show dev wg0');
      expect(addr.stdout, d.host).toContain(`inet ${EXPECTED[d.host]}/24`);
    }
    // The hub lists both spokes (each a /32); a spoke lists only the hub, for the whole subnet.
    const hubConf = (await sh(hub, 'cat /etc/wireguard/wg0.conf')).stdout;
    expect(hubConf).toContain('AllowedIPs = 10.99.0.10/32');
    expect(hubConf).toContain('AllowedIPs = 10.99.0.11/32');
    expect(hubConf).toContain('ListenPort = 51820');
    for (const s of spokes) {
      const conf = (await sh(s, 'cat /etc/wireguard/wg0.conf')).stdout;
      expect(conf.match(/^\[Peer\]/gm)).toHaveLength(1);
      expect(conf).toContain('AllowedIPs = 10.99.0.0/24');
      expect(conf).toContain(`Endpoint = ${hub.ip}:51820`);
      expect(conf).toContain('PersistentKeepalive = 25');
    }
  });

  it('falls back to wireguard-go where the kernel has no WireGuard module', async () => {
    for (const d of tb.devices) {
      const kernelModule = (await sh(d, 'test -e /sys/module/wireguard')).code === 0;
      if (kernelModule) {
        // Not this machine's case (checked when the test was written), but keep the test honest.
        expect((await sh(d, 'ip -d link show wg0')).stdout, d.host).toContain('wireguard');
        continue;
      }
      expect((await sh(d, 'pgrep -x wireguard-go')).code, `${d.host}: wireguard-go runs`).toBe(0);
      expect((await sh(d, 'journalctl -u wg-quick@wg0 --no-pager')).stdout, d.host).toContain('Falling back to slow userspace implementation');
    }
  });

  it('connects the spokes to the hub and the hub to each spoke', async () => {
    // Spokes first: the hub learns a spoke's endpoint from its handshake (spokes are behind NAT).
    for (const s of spokes) {
      await waitFor(async () => (await sh(s, `ping -c1 -W2 ${EXPECTED[hub.host]}`)).code === 0, { timeoutMs: 20_000, intervalMs: 500, what: `${s.host} to ping the hub` });
    }
    for (const s of spokes) {
      await waitFor(async () => (await sh(hub, `ping -c1 -W2 ${EXPECTED[s.host]}`)).code === 0, { timeoutMs: 20_000, intervalMs: 500, what: `the hub to ping ${s.host}` });
    }
  });

  it('keeps each private key on its host, root-only, and out of the Ansible output', async () => {
    const keys: string[] = [];
    for (const d of tb.devices) {
      expect((await sh(d, 'stat -c "%a %U %G" /etc/wireguard/wg0.key')).stdout, d.host).toBe('600 root root');
      expect((await sh(d, 'stat -c "%a" /etc/wireguard /etc/wireguard/wg0.conf')).stdout.split('\n'), d.host).toEqual(['700', '600']);
      const key = (await sh(d, 'cat /etc/wireguard/wg0.key')).stdout;
      expect(key, d.host).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      keys.push(key);
      // Loaded by PostUp from the key file, so not even the rendered config has it.
      expect((await sh(d, 'cat /etc/wireguard/wg0.conf')).stdout, d.host).not.toContain(key);
      // The running interface uses it: its public key is the one the peers were given.
      const pub = (await sh(d, 'wg show wg0 public-key')).stdout;
      expect((await sh(d, 'wg pubkey < /etc/wireguard/wg0.key')).stdout, d.host).toBe(pub);
      const peersConf = d === hub ? spokes : [hub];
      for (const p of peersConf) expect((await sh(p, 'cat /etc/wireguard/wg0.conf')).stdout, `${p.host} has ${d.host}'s public key`).toContain(`PublicKey = ${pub}`);
    }
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(first.output.includes(key)).toBe(false);
  });

  it('changes nothing on a second run', async () => {
    const second = await runPlaybook(join(dir.path, 'vpn.ini'));
    expect(second.code, second.output.slice(-4000)).toBe(0);
    expect(recapChanged(second.output), second.output.slice(-2000)).toEqual({ tb1: 0, tb2: 0, tb3: 0 });
    for (const d of tb.devices) {
      const key = (await sh(d, 'cat /etc/wireguard/wg0.key')).stdout;
      expect(second.output.includes(key)).toBe(false);
    }
    // Still connected after the second run (nothing restarted).
    expect((await sh(spokes[0]!, `ping -c1 -W2 ${EXPECTED[hub.host]}`)).code).toBe(0);
  }, 150_000);

  it('tailscale role: the auth key reaches `tailscale up` in a root-only file, never on a command line', async () => {
    const d = spokes[1]!;
    // A stub CLI that records what `tailscale up` was given (its arguments are what any local user
    // sees in /proc/<pid>/cmdline) and what the key file held, and a stub tailscaled.
    const stub = [
      '#!/bin/bash',
      'set -eu',
      'state=/var/lib/tailscale-stub',
      'mkdir -p "$state"',
      'case "${1:-}" in',
      '  status) if [[ -e $state/joined ]]; then echo \'{"BackendState":"Running","CurrentTailnet":{"Name":"example.com"}}\'; else echo \'{"BackendState":"NeedsLogin"}\'; fi ;;',
      '  up)',
      '    printf "%s\\n" "$*" >>"$state/up-args"',
      '    for a in "$@"; do',
      '      case "$a" in --auth-key=file:*) f="${a#--auth-key=file:}"; stat -c "%a %U" "$f" >"$state/key-file-mode"; cat "$f" >"$state/key-read"; echo "$f" >"$state/key-file-path" ;; esac',
      '    done',
      '    touch "$state/joined" ;;',
      '  ip) echo 100.64.0.5 ;;',
      '  *) exit 2 ;;',
      'esac',
    ].join('\n');
    const unit = '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n';
    const setup = await tb.exec(d, `cat >/usr/bin/tailscale <<'EOF'\n${stub}\nEOF\nchmod 755 /usr/bin/tailscale\nprintf '${unit}' >/etc/systemd/system/tailscaled.service\nsystemctl daemon-reload`);
    expect(setup.code, setup.stderr).toBe(0);
    const key = `tskey-auth-test-${randomBytes(12).toString('hex')}`;
    const args = ['--limit', d.host, '-v', '-e', JSON.stringify({ tailscale_auth_key: key, tailscale_tailnet: 'example.com' })];
    const joined = await runPlaybook(join(dir.path, 'vpn.ini'), args, tailscalePlaybook);
    expect(joined.code, joined.output.slice(-4000)).toBe(0);
    const upArgs = (await sh(d, 'cat /var/lib/tailscale-stub/up-args')).stdout;
    expect(upArgs).toMatch(/^up --reset --auth-key=file:\/run\/tailscale-auth-key\.\S+ --timeout=60s --accept-routes=false$/);
    expect(upArgs).not.toContain(key);
    expect((await sh(d, 'cat /var/lib/tailscale-stub/key-read')).stdout).toBe(key);
    expect((await sh(d, 'cat /var/lib/tailscale-stub/key-file-mode')).stdout).toBe('600 root');
    // Removed after use, and never in Ansible's output.
    expect((await sh(d, 'test -e "$(cat /var/lib/tailscale-stub/key-file-path)"')).code).not.toBe(0);
    expect(joined.output).not.toContain(key);
    // Joined: a second run does not call `tailscale up` again and changes nothing.
    const second = await runPlaybook(join(dir.path, 'vpn.ini'), args, tailscalePlaybook);
    expect(second.code, second.output.slice(-4000)).toBe(0);
    expect(recapChanged(second.output)).toEqual({ [d.host]: 0 });
    expect((await sh(d, 'wc -l </var/lib/tailscale-stub/up-args')).stdout).toBe('1');
  }, 150_000);
});
