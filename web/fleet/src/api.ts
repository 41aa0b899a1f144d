// Typed calls to the fleet monitor (fleet/src/api/*-routes.ts). Every body's type is the server's
// own, from its TypeBox schemas (fleet/src/api/schemas.ts, type-only imports), so the dashboard
// cannot drift from what the monitor sends.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '@common/api';
import { apiList, type ListPage } from '@common/api-list';
import { fleetSessionPath } from './session-model';
import type {
  AlertState,
  CreateSilenceBody,
  DeviceDetail,
  DeviceHistory,
  DeviceStatus,
  DeviceView,
  FleetAlert,
  FleetCreateSessionBody,
  FleetSession,
  FleetSessionList,
  FleetSummary,
  MonitorList,
  ReleaseUploaded,
  ReleaseView,
  Silence,
  VersionCount,
} from '../../../fleet/src/api/schemas';

import type { ChannelView, DeployView, DeviceUpdateView, RolloutBody, RolloutDevice, RolloutTargetView } from '../../../fleet/src/updates/update-schemas';

export type { FleetStatus, SessionView } from '../../../device/src/shared/index';
export type * from '../../../fleet/src/api/schemas';
export type * from '../../../fleet/src/updates/update-schemas';

export const POLL_MS = 5000;
/** Rows per /api/devices request: a few screens of the table, small enough to answer fast. */
export const PAGE_SIZE = 200;

export interface DeviceFilters {
  statuses: DeviceStatus[];
  group: string;
  version: string;
  q: string;
  /** A monitor's id: only the devices it polls. */
  polledBy: string;
}

const enc = encodeURIComponent;

/** The /api/devices query for filters and a page; empty filters are left out. */
export function devicesQuery(f: DeviceFilters, offset: number, limit: number): string {
  const p = new URLSearchParams();
  if (f.statuses.length > 0) p.set('status', f.statuses.join(','));
  if (f.group) p.set('group', f.group);
  if (f.version) p.set('version', f.version);
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.polledBy) p.set('polled_by', f.polledBy);
  p.set('offset', String(offset));
  p.set('limit', String(limit));
  p.set('view', 'summary');
  return `/api/devices?${p.toString()}`;
}

const SUMMARY_KEY = ['summary'] as const;
const DEVICES_KEY = ['devices'] as const;
const SESSIONS_KEY = ['sessions'] as const;

export const summaryQuery = { queryKey: SUMMARY_KEY, queryFn: () => api<FleetSummary>('GET', '/api/devices/summary') };

export function useSummary() {
  return useQuery({ ...summaryQuery, refetchInterval: POLL_MS });
}

/** One page of the device list; callers pick the pages they show (see use-device-pages.ts). */
export function devicePageQuery(filters: DeviceFilters, page: number) {
  return {
    queryKey: [...DEVICES_KEY, 'page', filters, page] as const,
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<ListPage<DeviceView>> => apiList<DeviceView>(devicesQuery(filters, page * PAGE_SIZE, PAGE_SIZE), signal),
    refetchInterval: POLL_MS,
  };
}

/** Devices a session can be created on (online or degraded), for the create form's select. */
export function useSessionTargets() {
  return useQuery({
    queryKey: [...DEVICES_KEY, 'session-targets'],
    queryFn: () => api<DeviceView[]>('GET', '/api/devices?status=online,degraded&limit=500&view=summary'),
    refetchInterval: POLL_MS,
  });
}

/** Drain a device (no new sessions there; live ones finish) or end its drain. The next poll shows it. */
export function useDeviceDrain(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (on: boolean) => api<unknown>(on ? 'POST' : 'DELETE', `/api/devices/${enc(id)}/drain`, on ? {} : undefined),
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: DEVICES_KEY });
    },
  });
}

export function useDevice(id: string) {
  return useQuery({ queryKey: [...DEVICES_KEY, 'detail', id], queryFn: () => api<DeviceDetail>('GET', `/api/devices/${enc(id)}`), refetchInterval: POLL_MS });
}

/** Snapshots are written every few minutes, so the chart polls less often than the figures. */
const HISTORY_POLL_MS = 30_000;

export function useDeviceHistory(id: string, hours: number) {
  return useQuery({
    queryKey: [...DEVICES_KEY, 'history', id, hours],
    queryFn: () => api<DeviceHistory>('GET', `/api/devices/${enc(id)}/history?hours=${hours}`),
    refetchInterval: HISTORY_POLL_MS,
  });
}

/** The monitors that share the fleet (one with SQLite): leases, shares, last cycles. */
export function useMonitors() {
  return useQuery({ queryKey: ['monitors'], queryFn: () => api<MonitorList>('GET', '/api/monitors'), refetchInterval: POLL_MS });
}

export function useVersions() {
  return useQuery({ queryKey: ['versions'], queryFn: () => api<VersionCount[]>('GET', '/api/versions'), refetchInterval: POLL_MS });
}

/** Alerts listed per tab; the open count in the summary says how many there are in all. */
export const ALERTS_LIMIT = 500;

export function useAlerts(state: AlertState) {
  return useQuery({
    queryKey: ['alerts', state],
    queryFn: () => api<FleetAlert[]>('GET', `/api/alerts?state=${state}&limit=${ALERTS_LIMIT}`),
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });
}

const SILENCES_KEY = ['silences'] as const;

/** Acknowledge an open alert (its reminders stop) or take the acknowledgement back. */
export function useAckAlert() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ key, on }: { key: string; on: boolean }) => api<FleetAlert>(on ? 'POST' : 'DELETE', `/api/alerts/${enc(key)}/ack`, on ? {} : undefined),
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
}

export function useSilences() {
  return useQuery({ queryKey: SILENCES_KEY, queryFn: () => api<Silence[]>('GET', '/api/silences'), refetchInterval: POLL_MS });
}

/** Creating or ending a silence changes which alerts show as silenced. */
function useSilenceMutation<V>(mutationFn: (vars: V) => Promise<Silence>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn,
    onSettled: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: SILENCES_KEY }), qc.invalidateQueries({ queryKey: ['alerts'] })]);
    },
  });
}

export function useCreateSilence() {
  return useSilenceMutation((body: CreateSilenceBody) => api<Silence>('POST', '/api/silences', body));
}

export function useExpireSilence() {
  return useSilenceMutation((id: number) => api<Silence>('POST', `/api/silences/${id}/expire`, {}));
}

export function useFleetSessions() {
  return useQuery({ queryKey: SESSIONS_KEY, queryFn: () => api<FleetSessionList>('GET', '/api/sessions'), refetchInterval: POLL_MS });
}

/** Ended sessions are asked of every online device, not only busy ones: less often, and only while shown. */
export const ENDED_POLL_MS = 15_000;

/** GET /api/sessions?ended=1: `ended` has the ended sessions of every online device, newest end first. */
export function useEndedFleetSessions(enabled: boolean) {
  return useQuery({
    queryKey: [...SESSIONS_KEY, 'ended'],
    queryFn: () => api<FleetSessionList>('GET', '/api/sessions?ended=1'),
    enabled,
    refetchInterval: enabled ? ENDED_POLL_MS : false,
  });
}

function useSessionMutation<V>(mutationFn: (vars: V) => Promise<FleetSession>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn,
    onSettled: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: SESSIONS_KEY }), qc.invalidateQueries({ queryKey: DEVICES_KEY })]);
    },
  });
}

export function useCreateFleetSession() {
  return useSessionMutation((body: FleetCreateSessionBody) => api<FleetSession>('POST', '/api/sessions', body));
}

export function useDeleteFleetSession() {
  return useSessionMutation((s: { device: string; id: string }) => api<FleetSession>('DELETE', fleetSessionPath(s)));
}

// The update server (fleet/src/updates/update-routes.ts): channels, rollouts, their devices and history.
const ROLLOUTS_KEY = ['rollouts'] as const;

export function useChannels() {
  return useQuery({ queryKey: [...ROLLOUTS_KEY, 'channels'], queryFn: () => api<ChannelView[]>('GET', '/api/channels'), refetchInterval: POLL_MS });
}

export function useRollouts() {
  return useQuery({ queryKey: [...ROLLOUTS_KEY, 'list'], queryFn: () => api<RolloutBody[]>('GET', '/api/rollouts'), refetchInterval: POLL_MS });
}

/** The selected devices of a channel's rollout with their latest report; only fetched while a count is opened. */
export function useRolloutDevices(channel: string, enabled: boolean) {
  return useQuery({
    queryKey: [...ROLLOUTS_KEY, 'devices', channel],
    queryFn: () => api<RolloutDevice[]>('GET', `/api/rollouts/${enc(channel)}/devices`),
    refetchInterval: POLL_MS,
    enabled,
  });
}

export const HISTORY_LIMIT = 20;

export function useRolloutHistory() {
  return useQuery({ queryKey: [...ROLLOUTS_KEY, 'history'], queryFn: () => api<DeployView[]>('GET', `/api/rollouts/history?limit=${HISTORY_LIMIT}`), refetchInterval: POLL_MS });
}

export function useDeviceUpdates(id: string) {
  return useQuery({ queryKey: [...DEVICES_KEY, 'updates', id], queryFn: () => api<DeviceUpdateView[]>('GET', `/api/devices/${enc(id)}/updates?limit=50`), refetchInterval: POLL_MS });
}

export interface StartRollout {
  channel: string;
  version: string;
  percent: number;
  force: boolean;
  target: RolloutTargetView | null;
}

export type RolloutAction = { kind: 'start'; body: StartRollout } | { kind: 'halt'; channel: string } | { kind: 'resume'; channel: string };

/** Start, move, halt or resume a rollout; every rollout query refreshes after. */
export function useRolloutAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (a: RolloutAction) => {
      if (a.kind === 'start') {
        const { channel, ...body } = a.body;
        return api<RolloutBody>('POST', `/api/rollouts/${enc(channel)}`, body);
      }
      return api<RolloutBody>('POST', `/api/rollouts/${enc(a.channel)}/${a.kind}`, {});
    },
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: ROLLOUTS_KEY });
    },
  });
}

const RELEASES_KEY = ['releases'] as const;

export function useReleases() {
  return useQuery({ queryKey: RELEASES_KEY, queryFn: () => api<ReleaseView[]>('GET', '/api/releases'), refetchInterval: POLL_MS });
}

/** The three files scripts/build-release.sh writes, as POST /api/releases takes them. */
export interface ReleaseFiles {
  tarball: File;
  sha256: File;
  signature: File;
}

export function useUploadRelease() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (f: ReleaseFiles) => {
      const form = new FormData();
      // The small parts first: the tarball streams last and the upload is judged once it is in.
      form.append('sha256', f.sha256, f.sha256.name);
      form.append('signature', f.signature, f.signature.name);
      form.append('tarball', f.tarball, f.tarball.name);
      return api<ReleaseUploaded>('POST', '/api/releases', form);
    },
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: RELEASES_KEY });
    },
  });
}

export function useDeleteRelease() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (version: string) => api<null>('DELETE', `/api/releases/${enc(version)}`),
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: RELEASES_KEY });
    },
  });
}
