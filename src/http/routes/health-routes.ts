import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

/** A dependency /ready reports on, e.g. the database or the broker. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

const Ready = Type.Object(
  {
    status: Type.Enum(['ready', 'unavailable']),
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
    { schema: { tags: ['ops'], summary: 'Readiness: every dependency answers', response: { 200: Ready, 503: Ready } } },
    async (_request, reply) => {
      const results = await Promise.all(checks.map(async ({ name, check }) => [name, await probe(check)] as const));
      const ready = results.every(([, result]) => result.status === 'ok');
      if (!ready) reply.code(503).header('retry-after', '5');
      return { status: ready ? ('ready' as const) : ('unavailable' as const), checks: Object.fromEntries(results) };
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
