// The WebDriver routes' shapes, shared by the appliance's /wd/hub (device/src/webdriver/) and the
// monitor's (fleet/src/api/webdriver-routes.ts), which relays to it.
import Type from 'typebox';

const SID = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' });
export const WebDriverSessionParams = Type.Object({ sid: SID }, { additionalProperties: false });
export const WebDriverCommandParams = Type.Object({ sid: SID, '*': Type.String() }, { additionalProperties: false });
/** Uploads (POST …/se/file) carry a zipped file in base64. */
export const WEBDRIVER_BODY_LIMIT = 64 * 1024 * 1024;
/** Route config of every WebDriver route: the token may come as HTTP Basic's password (auth.ts). */
export const WEBDRIVER_ROUTE = { basicAuth: true } as const;
/** What WebDriver answers: the command's result in `value` (W3C). */
export const W3CAnswer = Type.Object({ value: Type.Unknown() }, { additionalProperties: false });
export const W3CError = Type.Object(
  { value: Type.Object({ error: Type.String(), message: Type.String(), stacktrace: Type.String() }, { additionalProperties: false }) },
  { additionalProperties: false },
);
/** chromedriver's answers pass through with its status (W3C maps some errors to 404 and 500). */
export const W3C_RELAYED = { 200: W3CAnswer, '4xx': W3CAnswer, '5xx': W3CAnswer };
