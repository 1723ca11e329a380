import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

/** A dependency /ready reports on, e.g. the database or the broker. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  /** Without it the process cannot do its job (503); without the others it works, degraded (200). */
  critical: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

type ReadyStatus = 'ready' | 'degraded' | 'unavailable';

const Ready = Type.Object(
  {
    status: Type.Enum(['ready', 'degraded', 'unavailable']),
    // No error text: /ready answers anyone, and a dependency's error names hosts, ports and users. It is logged.
    checks: Type.Record(Type.String(), Type.Object({ status: Type.Enum(['ok', 'failing']) })),
  },
  { examples: [{ status: 'ready', checks: { database: { status: 'ok' } } }] },
);

export const healthRoutes: FastifyPluginAsyncTypebox<{ checks: ReadinessCheck[] }> = async (app, { checks }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness: the process answers',
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: 200 when the API can accept messages (degraded if the bus is down), 503 without its database',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(checks.map(async (check) => ({ check, error: await failure(check.check) })));
      const failing = results.filter(({ error }) => error !== undefined);
      for (const { check, error } of failing) request.log.warn({ check: check.name, err: error }, 'readiness check failing');
      const status: ReadyStatus = failing.some(({ check }) => check.critical)
        ? 'unavailable'
        : failing.length > 0
          ? 'degraded'
          : 'ready';
      if (status === 'unavailable') reply.code(503).header('retry-after', '5');
      const checkStatus = (error: unknown) => (error === undefined ? ('ok' as const) : ('failing' as const));
      return { status, checks: Object.fromEntries(results.map(({ check, error }) => [check.name, { status: checkStatus(error) }])) };
    },
  );
};

/** What the check failed with (its own error, or no answer in time); undefined when it passed. */
async function failure(check: () => Promise<void>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return undefined;
  } catch (error) {
    return error ?? new Error('failed');
  } finally {
    clearTimeout(timer);
  }
}
