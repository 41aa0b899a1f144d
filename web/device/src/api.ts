// Typed calls to the device appliance. Types come from the server's contract and session schema
// modules (type-only imports), so the UI cannot drift from what the API actually sends.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api } from '@common/api';
import { downloadFile } from '@common/download';
import { exportFallbackName } from './profile-model';
import type { CreateSessionBody, DrainStatus, FleetStatus, PayloadAction, PayloadDetails, PayloadLogLine, PayloadLogs, PayloadState, PoolView, ProfileDeleted, ProfileList, ProfileView, SessionList, SessionView } from '../../../device/src/shared/index';

export type { CreateSessionBody, DrainStatus, FleetStatus, PayloadAction, PayloadDetails, PayloadLogLine, PayloadLogs, PayloadState, PoolView, ProfileList, ProfileView, SessionList, SessionView };

export const POLL_MS = 2000;

const FLEET_STATUS_KEY = ['fleet-status'] as const;

export function useFleetStatus() {
  return useQuery({
    queryKey: FLEET_STATUS_KEY,
    queryFn: () => api<FleetStatus>('GET', '/api/fleet/status'),
    refetchInterval: POLL_MS,
  });
}

const SESSIONS_KEY = ['sessions'] as const;

/** A session's API path; its artifacts are under it (@common/artifact-model). */
export const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

export function useSessions() {
  return useQuery({
    queryKey: SESSIONS_KEY,
    queryFn: () => api<SessionList>('GET', '/api/sessions'),
    refetchInterval: POLL_MS,
  });
}

/** Each listing reads every kept session's record from the disk: less often than the live list. */
export const ENDED_POLL_MS = 5000;

/** GET /api/sessions?ended=1: `ended` has the sessions that ended and whose artifacts are kept, newest first. */
export function useEndedSessions() {
  return useQuery({
    queryKey: [...SESSIONS_KEY, 'ended'],
    queryFn: () => api<SessionList>('GET', '/api/sessions?ended=1'),
    refetchInterval: ENDED_POLL_MS,
  });
}

/** A mutation that returns a SessionView and refreshes the session list (and the overview) afterwards. */
function useSessionMutation<V>(mutationFn: (vars: V) => Promise<SessionView>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn,
    onSettled: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: SESSIONS_KEY }), qc.invalidateQueries({ queryKey: FLEET_STATUS_KEY })]);
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

// --- Drain (POST/DELETE /api/drain): no new sessions, live ones finish ---

/** Start draining (optionally ending the sessions still live after `timeoutS`), or end the drain. */
export function useDrain() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (to: { on: true; timeoutS?: number } | { on: false }) =>
      to.on
        ? api<{ drain: DrainStatus | null }>('POST', '/api/drain', to.timeoutS === undefined ? {} : { timeout_s: to.timeoutS })
        : api<{ drain: DrainStatus | null }>('DELETE', '/api/drain'),
    onSettled: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: FLEET_STATUS_KEY }), qc.invalidateQueries({ queryKey: SESSIONS_KEY })]);
    },
  });
}

// --- Payload container (GET/POST /api/payload*) ---


export const PAYLOAD_LOGS_POLL_MS = 3000;

const PAYLOAD_KEY = ['payload'] as const;
const PAYLOAD_LOGS_KEY = ['payload-logs'] as const;

/** The payload container, or null when none is configured (404 payload_not_configured). */
export function usePayload() {
  return useQuery({
    queryKey: PAYLOAD_KEY,
    queryFn: async (): Promise<PayloadDetails | null> => {
      try {
        return await api<PayloadDetails>('GET', '/api/payload');
      } catch (e) {
        if (e instanceof ApiError && e.code === 'payload_not_configured') return null;
        throw e;
      }
    },
    refetchInterval: POLL_MS,
  });
}

export function usePayloadAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (action: PayloadAction) => api<PayloadDetails>('POST', `/api/payload/${action}`),
    onSuccess: (details) => qc.setQueryData(PAYLOAD_KEY, details),
    onSettled: async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: PAYLOAD_KEY }),
        qc.invalidateQueries({ queryKey: FLEET_STATUS_KEY }),
        qc.invalidateQueries({ queryKey: PAYLOAD_LOGS_KEY }),
      ]);
    },
  });
}

export function usePayloadLogs(lines: number, enabled: boolean) {
  return useQuery({
    queryKey: [...PAYLOAD_LOGS_KEY, lines],
    queryFn: () => api<PayloadLogs>('GET', `/api/payload/logs?lines=${encodeURIComponent(String(lines))}`),
    enabled,
    refetchInterval: enabled ? PAYLOAD_LOGS_POLL_MS : false,
    // Keep showing the old lines while a different line count loads.
    placeholderData: keepPreviousData,
  });
}

// --- Persistent profiles (GET/DELETE /api/profiles*) ---

/** Slower than the other lists: every listing walks each profile's directory to size it. */
export const PROFILES_POLL_MS = 5000;

const PROFILES_KEY = ['profiles'] as const;

const profilePath = (name: string) => `/api/profiles/${encodeURIComponent(name)}`;

export function useProfiles() {
  return useQuery({
    queryKey: PROFILES_KEY,
    queryFn: () => api<ProfileList>('GET', '/api/profiles'),
    refetchInterval: PROFILES_POLL_MS,
  });
}

/** Delete a profile; 409 profile_in_use while a live session runs on it. */
export function useDeleteProfile() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api<ProfileDeleted>('DELETE', profilePath(name)),
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: PROFILES_KEY });
    },
  });
}

/** Save a profile as a tar (the server's file name); 409 profile_in_use while a live session runs on it. */
export function useExportProfile() {
  return useMutation({
    mutationFn: (name: string) => downloadFile(`${profilePath(name)}/export`, exportFallbackName(name)),
  });
}
