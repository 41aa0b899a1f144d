// Each device's own update credential, so a device reports and asks only for itself (issue 10:
// "each device reports only for itself"). It is derived, not stored: HMAC-SHA256 of the device id
// under the monitor's update secret (OUTPOST_FLEET_UPDATE_TOKEN), sent as `<device id>.<hex>`.
// The monitor recomputes it for the id the credential names; the secret itself never leaves the
// monitor (Ansible derives the same value on the controller; POST /api/updates/credentials gives
// it to an admin for install.sh by hand).
import { createHmac, timingSafeEqual } from 'node:crypto';

const CREDENTIAL_RE = /^(.+)\.([0-9a-f]{64})$/;

export interface DeviceCredentials {
  /** The credential of `deviceId`. */
  tokenFor(deviceId: string): string;
  /** The device a presented credential belongs to, or null when it is not one of ours. */
  deviceOf(presented: string | undefined): string | null;
}

export function createDeviceCredentials(secret: string): DeviceCredentials {
  const mac = (deviceId: string) => createHmac('sha256', secret).update(`outpost-update:${deviceId}`).digest();
  return {
    tokenFor: (deviceId) => `${deviceId}.${mac(deviceId).toString('hex')}`,
    deviceOf(presented) {
      const m = presented === undefined ? null : CREDENTIAL_RE.exec(presented);
      if (!m) return null;
      const [, deviceId, hex] = m as unknown as [string, string, string];
      return timingSafeEqual(mac(deviceId), Buffer.from(hex, 'hex')) ? deviceId : null;
    },
  };
}
