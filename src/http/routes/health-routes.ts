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
    checks: Type.Record(Type.String(), Type.Object({ status: Type.Enum(['ok', 'failing']), error: Type.Optional(Type.String()) })),
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
    async (_request, reply) => {
      const results = await Promise.all(checks.map(async (check) => ({ check, result: await probe(check.check) })));
      const failing = results.filter(({ result }) => result.status !== 'ok');
      const status: ReadyStatus = failing.some(({ check }) => check.critical)
        ? 'unavailable'
        : failing.length > 0
          ? 'degraded'
          : 'ready';
      if (status === 'unavailable') reply.code(503).header('retry-after', '5');
      return { status, checks: Object.fromEntries(results.map(({ check, result }) => [check.name, result])) };
    },
  );
};

async function probe(check: () => Promise<void>): Promise<{ status: 'ok' | 'failing'; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'failing', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
