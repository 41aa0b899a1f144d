// A session's logs and downloads, for both UIs. The appliance and the monitor answer the same
// shapes under a session's API path (the monitor relays the device's), so one set of hooks takes
// that path instead of a copy in each app's api.ts. The ended-session lists differ per app and
// stay there.
import { useMutation, useQuery } from '@tanstack/react-query';
import type { SessionDownloads, SessionLogs } from '../../device/src/shared/index';
import { api } from './api';
import { artifactPaths } from './artifact-model';
import { downloadFile } from './download';

/** While a session's logs or downloads are shown (only then are they asked for): a live session's still grow. */
export const ARTIFACTS_POLL_MS = 5000;

export function useSessionLogs(sessionPath: string) {
  return useQuery({ queryKey: ['session-artifacts', sessionPath, 'logs'], queryFn: () => api<SessionLogs>('GET', artifactPaths(sessionPath).logs), refetchInterval: ARTIFACTS_POLL_MS });
}

export function useSessionDownloads(sessionPath: string) {
  return useQuery({ queryKey: ['session-artifacts', sessionPath, 'downloads'], queryFn: () => api<SessionDownloads>('GET', artifactPaths(sessionPath).downloads), refetchInterval: ARTIFACTS_POLL_MS });
}

/** Save one of a session's downloads under its name (fetched with the token, download.ts). */
export function useSaveDownload(sessionPath: string) {
  return useMutation({ mutationFn: (name: string) => downloadFile(artifactPaths(sessionPath).download(name), name) });
}
