// The payload container's API bodies (GET/POST /api/payload*), shared with the UIs, whose payload
// model (web/common/payload-model.ts) the device UI and the dashboard both use.
import Type, { type Static, type TSchema } from 'typebox';
import { PayloadState } from './contract.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** GET /api/payload and the answer to an action. */
export const PayloadDetailsBody = Type.Object({
  name: Type.String(),
  state: PayloadState,
  image: Nullable(Type.String()),
  version: Nullable(Type.String()),
  started_at: Nullable(Type.String()),
  restarts: Type.Integer(),
  health: Nullable(Type.String()),
  container_id: Nullable(Type.String()),
  error: Nullable(Type.String()),
  checked_at: Type.String(),
});

/** GET /api/payload/logs */
export const PayloadLogs = Type.Object({
  name: Type.String(),
  lines: Type.Array(
    Type.Object({ stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]), time: Nullable(Type.String()), text: Type.String() }),
  ),
});
export type PayloadDetails = Static<typeof PayloadDetailsBody>;
export type PayloadLogs = Static<typeof PayloadLogs>;
export type PayloadLogLine = PayloadLogs['lines'][number];

export const PayloadAction = Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('restart')]);
export type PayloadAction = Static<typeof PayloadAction>;
