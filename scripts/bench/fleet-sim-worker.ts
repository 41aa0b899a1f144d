// One process of simulated devices for bench:fleet (see fleet/test/device-simulator.ts).
// env: SIM_FROM, SIM_TO (device index range), SIM_PORT, SIM_DOWN_PCT, SIM_SLOW_PCT, SIM_SLOW_MS
// SIGUSR2: idle connections close 1 s after an answer, so a monitor holds a socket per poll in
// flight, not per device (bench-fleet-scale-out.ts, where the descriptor limit is too low for one
// per device); SIGHUP: back to 60 s. (SIGUSR1 is node's debugger signal.)
import { simAddress, startSimulators, type Behaviour } from '../../fleet/test/device-simulator.js';

const from = Number(process.env.SIM_FROM ?? 0);
const to = Number(process.env.SIM_TO ?? 100);
const down = Number(process.env.SIM_DOWN_PCT ?? 3);
const slow = Number(process.env.SIM_SLOW_PCT ?? 2);
const behaviour = (i: number): Behaviour => (i % 100 < down ? 'down' : i % 100 < down + slow ? 'slow' : 'healthy');

// startSimulators numbers its devices from 0; shift the addresses by `from` through the index.
const sims = await startSimulators({
  count: to - from,
  port: Number(process.env.SIM_PORT ?? 18090),
  behaviour: (i) => behaviour(i + from),
  slowMs: Number(process.env.SIM_SLOW_MS ?? 10_000),
  address: (i) => simAddress(i + from),
});
process.on('SIGUSR2', () => sims.setKeepAliveTimeout(1000));
process.on('SIGHUP', () => sims.setKeepAliveTimeout(60_000));
process.stderr.write(`[sim] ${sims.devices.length} devices ${simAddress(from)}..${simAddress(to - 1)}\n`);
// close() waits for the listeners, and they for their kept-alive connections, which a monitor that
// is stopping at the same moment may still hold: the worker exits after 3 s whatever is left.
const stop = async () => {
  setTimeout(() => process.exit(0), 3000).unref();
  await sims.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
