// The update server's response bodies as TypeBox schemas: update-routes.ts validates and
// serializes with them, and the dashboard (web/fleet/src/api.ts) takes its types from them
// (type-only imports, `Static`). Shapes are snake_case, times ISO strings.
import Type, { type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Iso = Type.String({ format: 'date-time' });

// Group names and label keys as the inventory allows them (registry/device-fields.ts).
const TargetName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.\\-/]+$' });
export const Target = Type.Object(
  {
    group: Type.Optional(TargetName),
    // Keys as the inventory allows them; any other key is refused (additionalProperties).
    labels: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.\\-/]{1,100}$' }), Type.String({ maxLength: 200 }), { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const RolloutState = Type.Union([Type.Literal('active'), Type.Literal('halted'), Type.Literal('complete')]);

export const RolloutBody = Type.Object({
  channel: Type.String(),
  version: Type.String(),
  percent: Type.Integer(),
  state: RolloutState,
  previous_version: Nullable(Type.String()),
  started_at: Iso,
  updated_at: Iso,
  halted_reason: Nullable(Type.String()),
  force: Type.Boolean(),
  // Who the percent is taken of; null: every device on the channel.
  target: Nullable(Target),
  // Its entry in GET /api/rollouts/history.
  deploy_id: Nullable(Type.Integer()),
  selected: Type.Integer(),
  updated: Type.Integer(),
  failed: Type.Integer(),
  postponed: Type.Integer(),
  waiting_window: Type.Integer(),
});

export const ChannelView = Type.Object({
  channel: Type.String(),
  // What the channel has fully rolled out (its complete version, else the previous one).
  version: Nullable(Type.String()),
  rollout: Nullable(Type.Object({ version: Type.String(), percent: Type.Integer(), state: RolloutState })),
});

export const RolloutDevice = Type.Object({
  device: Type.String(),
  status: Type.Union([Type.Literal('updated'), Type.Literal('failed'), Type.Literal('postponed'), Type.Literal('waiting_window'), Type.Literal('pending')]),
});

export const DeployEvent = Type.Object({ ts: Iso, kind: Type.String(), message: Type.String(), devices: Type.Array(Type.String()) });

export const DeployView = Type.Object({
  id: Type.Integer(),
  source: Type.Union([Type.Literal('rollout'), Type.Literal('ansible')]),
  channel: Nullable(Type.String()),
  version: Type.String(),
  target: Nullable(Target),
  started_by: Type.String(),
  started_at: Iso,
  ended_at: Nullable(Iso),
  // Null while running: rollouts end completed or superseded; Ansible runs name theirs.
  outcome: Nullable(Type.String()),
  events: Type.Array(DeployEvent),
});

export const DeviceUpdateView = Type.Object({
  ts: Iso,
  channel: Nullable(Type.String()),
  from_version: Nullable(Type.String()),
  to_version: Nullable(Type.String()),
  result: Type.String(),
  message: Nullable(Type.String()),
});

/** A device's update report as the fleet-wide list has it: the timeline entry, with its device. */
export const ReportView = Type.Object({ device: Type.String(), ...DeviceUpdateView.properties });

export type RolloutTargetView = Static<typeof Target>;
export type RolloutStateName = Static<typeof RolloutState>;
export type RolloutBody = Static<typeof RolloutBody>;
export type ChannelView = Static<typeof ChannelView>;
export type RolloutDevice = Static<typeof RolloutDevice>;
export type DeployEvent = Static<typeof DeployEvent>;
export type DeployView = Static<typeof DeployView>;
export type DeviceUpdateView = Static<typeof DeviceUpdateView>;
export type ReportView = Static<typeof ReportView>;
