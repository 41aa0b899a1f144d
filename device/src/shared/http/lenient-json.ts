// Many HTTP clients send `content-type: application/json` on every request, bodiless ones too
// (`DELETE /api/sessions/:id`). Fastify's JSON parser answers those 400 "Body cannot be empty", so
// the session lived on. An empty body now reads as `{}`, for both services: a route without a body
// ignores it, one whose fields are optional takes their defaults, and one that needs a field still
// refuses it with a 400 naming that field. Anything else goes to Fastify's own parser
// (prototype-poisoning protection and all).
import type { FastifyInstance } from 'fastify';

export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') done(null, {});
    else parse(req, text, done);
  });
}
