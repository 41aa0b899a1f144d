// Typed calls to the device appliance. Types come from the server's contract and session schema
// modules (type-only imports), so the UI cannot drift from what the API actually sends.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@common/api';
import type { FleetStatus } from '../../../device/src/contract';
import type { CreateSessionBody, PoolView, SessionList, SessionView } from '../../../device/src/sessions/session-schemas';

export type { CreateSessionBody, FleetStatus, PoolView, SessionList, SessionView };

export const POLL_MS = 2000;

export function useFleetStatus() {
  return useQuery({
    queryKey: ['fleet-status'],
    queryFn: () => api<FleetStatus>('GET', '/api/fleet/status'),
    refetchInterval: POLL_MS,
  });
}

const SESSIONS_KEY = ['sessions'] as const;

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

export function useSessions() {
  return useQuery({
    queryKey: SESSIONS_KEY,
    queryFn: () => api<SessionList>('GET', '/api/sessions'),
    refetchInterval: POLL_MS,
  });
}

/** A mutation that returns a SessionView and refreshes the session list (and the overview) afterwards. */
function useSessionMutation<V>(mutationFn: (vars: V) => Promise<SessionView>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn,
    onSettled: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: SESSIONS_KEY }), qc.invalidateQueries({ queryKey: ['fleet-status'] })]);
    },
  });
}

export function useCreateSession() {
  return useSessionMutation((body: CreateSessionBody) => api<SessionView>('POST', '/api/sessions', body));
}

export function useTouchSession() {
  return useSessionMutation((id: string) => api<SessionView>('POST', `${sessionPath(id)}/touch`, {}));
}

export function useEndSession() {
  return useSessionMutation((id: string) => api<SessionView>('DELETE', sessionPath(id)));
}
