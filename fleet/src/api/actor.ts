// Who made a change, for the deploy history, silences and acknowledgements: the name of the token
// the request came with ("admin" for OUTPOST_FLEET_TOKEN, or a name of OUTPOST_FLEET_TOKENS_FILE).
// A monitor without a token (loopback only) has one user, the owner of the machine: "admin" too.
import type { FastifyRequest } from 'fastify';
import { tokenNameOf } from '../../../device/src/shared/index.js';

export const actorOf = (req: FastifyRequest): string => tokenNameOf(req) ?? 'admin';
