// Typed calls to the device appliance. Types come from the server's contract module, so the UI
// cannot drift from what /api/fleet/status actually sends.
import { useQuery } from '@tanstack/react-query';
import { api } from '@common/api';
import type { FleetStatus } from '../../../device/src/contract';

export type { FleetStatus };

export const POLL_MS = 2000;

export function useFleetStatus() {
  return useQuery({
    queryKey: ['fleet-status'],
    queryFn: () => api<FleetStatus>('GET', '/api/fleet/status'),
    refetchInterval: POLL_MS,
  });
}
