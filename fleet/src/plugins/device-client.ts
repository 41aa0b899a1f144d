// How the monitor talks to devices (devices/device-http.ts), with the device token: the poller's
// client (one kept socket per device, 1 MiB answers) and, on sockets of their own so polls never
// wait behind them, the API calls it relays (sessions, drain), and the files it streams through
// (recordings, downloads: devices/device-stream.ts).
import fp from 'fastify-plugin';
import { createDeviceHttp, type DeviceHttp } from '../devices/device-http.js';
import { createDeviceStreams, type DeviceStreams } from '../devices/device-stream.js';
import { createStatusClient, type StatusClient } from '../poller/status-client.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Polls of /api/fleet/status. */
    deviceClient: StatusClient;
    /** Relayed API calls: a session create launches a browser, so a minute; answers up to 4 MiB. */
    deviceApi: DeviceHttp;
    /** Relayed files, streamed: as long as they take, cut off after a minute of silence (a player
     * that paused reading is one: it asks again for the range it needs). */
    deviceStreams: DeviceStreams;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const monitorId = config.cluster.monitorId;
    const pollHttp = createDeviceHttp({ timeoutMs: config.poll.timeoutMs, token: config.deviceToken, maxBytes: 1024 * 1024, maxSockets: 2, maxFreeSockets: 1, monitorId });
    const deviceApi = createDeviceHttp({ timeoutMs: 60_000, token: config.deviceToken, maxBytes: 4 * 1024 * 1024, maxSockets: 8, maxFreeSockets: 2, monitorId });
    app.decorate('deviceClient', createStatusClient(pollHttp));
    const deviceStreams = createDeviceStreams({ token: config.deviceToken, idleTimeoutMs: 60_000, maxSockets: 16 });
    app.decorate('deviceApi', deviceApi);
    app.decorate('deviceStreams', deviceStreams);
    app.addHook('onClose', async () => {
      pollHttp.close();
      deviceApi.close();
      deviceStreams.close();
    });
  },
  { name: 'fleet-device-client', dependencies: ['fleet-config'] },
);
