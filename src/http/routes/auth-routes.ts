import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Authenticate } from '../../app/authenticate.ts';
import type { ClientCredentials } from '../../app/client-credentials.ts';
import type { Sessions } from '../../app/sessions.ts';
import { DomainError, ErrorCodes } from '../../domain/errors.ts';
import { bearerAuth } from '../bearer-auth.ts';
import { BodyLimits } from '../body-limits.ts';
import type { RateLimitHooks } from '../rate-limit-hooks.ts';
import { grantJson } from '../representations.ts';
import { logoutSchema, refreshSchema, revokeSchema, tokenSchema } from '../schemas/auth-schemas.ts';

interface AuthRouteOptions {
  authenticate: Authenticate;
  clientCredentials: ClientCredentials;
  sessions: Sessions;
  limit: RateLimitHooks['login'];
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, { authenticate, clientCredentials, sessions, limit }) => {
  // OAuth 2 clients send token and revocation requests as forms (RFC 6749 §4, RFC 7009); only these routes take them.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BodyLimits.login }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.post('/auth/token', { schema: tokenSchema, bodyLimit: BodyLimits.login, preHandler: limit }, async (request) => {
    const body = request.body;
    switch (body.grant_type ?? 'password') {
      case 'password':
        return grantJson(await authenticate.login(body.username!, body.password!));
      case 'refresh_token':
        return grantJson(await sessions.refresh(body.refresh_token!));
      case 'client_credentials': {
        const { clientId, clientSecret } = clientOf(request, body);
        return grantJson(await clientCredentials.grant(clientId, clientSecret, body.scope));
      }
    }
  });

  app.post('/auth/refresh', { schema: refreshSchema, bodyLimit: BodyLimits.login }, async (request) =>
    grantJson(await sessions.refresh(request.body.refresh_token)),
  );

  app.post('/auth/revoke', { schema: revokeSchema, bodyLimit: BodyLimits.login }, async (request) => {
    await sessions.revoke(request.body.token);
    return {};
  });

  app.post('/auth/logout', { schema: logoutSchema, onRequest: bearerAuth(sessions) }, async (request, reply) => {
    await sessions.end(request.credentials.sessionId);
    return reply.code(204).send(null);
  });
};

/** A client's id and secret: HTTP Basic (RFC 6749 §2.3.1, each part form-encoded) or the body, not both. */
function clientOf(request: FastifyRequest, body: { client_id?: string; client_secret?: string }): { clientId: string; clientSecret: string } {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && body.client_id === undefined && body.client_secret === undefined) {
      try {
        return { clientId: decodeForm(decoded.slice(0, colon)), clientSecret: decodeForm(decoded.slice(colon + 1)) };
      } catch {
        // not form-encoded: as bad as a wrong secret
      }
    }
  } else if (body.client_id !== undefined && body.client_secret !== undefined) {
    return { clientId: body.client_id, clientSecret: body.client_secret };
  }
  throw new DomainError(ErrorCodes.CLIENT_CREDENTIALS_INVALID, 'Send client_id and client_secret, in the body or as HTTP Basic (not both)');
}

const decodeForm = (text: string) => decodeURIComponent(text.replaceAll('+', ' '));
