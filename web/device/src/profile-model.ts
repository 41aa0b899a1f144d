// Profiles page presentation, kept out of the components; no React here. web/common is imported by
// path, not through the @common alias, so profile-model.test.ts runs without the app's aliases.
import { bytes } from '../../common/format';
import type { ProfileView } from './api';

/** "2 profiles · 35.1 MiB": how many, and the disk they take together. */
export function profilesSummary(profiles: readonly ProfileView[]): string {
  const total = profiles.reduce((n, p) => n + p.size_bytes, 0);
  return `${profiles.length} profile${profiles.length === 1 ? '' : 's'} · ${bytes(total)}`;
}

/** The question asked before a delete, which cannot be undone. */
export function deleteProfileQuestion(name: string): string {
  return `Delete profile ${name}? Its cookies, storage and logins are gone for good.`;
}

/** The file name to save an export under when the server names none. */
export function exportFallbackName(name: string): string {
  return `outpost-profile-${name}.tar`;
}
