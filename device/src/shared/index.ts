// What the appliance shares with the fleet monitor, the UIs, the scripts and the tests: the one
// door into device/ from outside it (a dependency-cruiser rule in `npm test` holds that). Whoever
// changes something exported here changes the monitor too.
//
// The device↔fleet contract and the session and payload API schemas (the monitor relays sessions
// as they are; both UIs show payloads).
export * from './contract.js';
export * from './session-schemas.js';
export * from './payload-schemas.js';
// Configuration: env parsing, the version and where files live.
export { ConfigError, envBool, envEnum, envInt, envLabels, envListenHost, envListenWithToken, envNumber, envOptionalString, envString, envToken, isLoopbackHost, TOKEN_RULE, type Env } from './env.js';
export { readVersion, rootDir, webDir } from './paths.js';
// Process metrics (prom-client's defaults, less the ones promtool rejects).
export { collectProcessMetrics } from './process-metrics.js';
// One exponential backoff, and a retry loop on p-retry with it.
export { backoffDelay, retry, retryDelay, RetryStoppedError, type BackoffOptions, type RetryOptions } from './backoff.js';
// Errors and logging.
export { AppError, BadRequestError, ConflictError, NotFoundError, UnauthorizedError, statusOf } from './errors.js';
export { LOG_LEVELS, type Log, type LogLevel } from './log.js';
// The HTTP kit: auth decided on the matched route, cross-site and Host guards, security headers,
// errors, request logging, validation, the UI's files, and running a service until a signal.
export { DOCS_PREFIX, registerApiDocs, textResponse } from './http/api-docs.js';
export { installBearerAuth, presentedToken, stripAccessToken, tokenNameOf } from './http/auth.js';
export { installCrossSiteGuard, installLoopbackHostGuard } from './http/cross-site.js';
export { errorHandler, sendNotFound } from './http/http-errors.js';
export { QuietLogController, loggerOptions } from './http/logging.js';
export { UI_ROUTE, installRouteCatalog, installUpgradeGuard, isPublicRoute, type CatalogRoute } from './http/route-access.js';
export { runService } from './http/run-service.js';
export { installSecurityHeaders, uiContentSecurityPolicy } from './http/security-headers.js';
export { registerStaticUi } from './http/static-ui.js';
export { describeValidation, validatorCompiler } from './http/validation.js';
export { acceptEmptyJsonBodies } from './http/lenient-json.js';
// Websocket relaying (the monitor relays a device's session sockets; the device relays VNC).
export { bridgeWebSocketToTcp, openUpstream, playwrightHeaders, relayWebSocket, type RelayHooks, type UpstreamRefusal } from './ws-relay.js';
export * from './webdriver-schemas.js';
