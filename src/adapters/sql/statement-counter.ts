import { AsyncLocalStorage } from 'node:async_hooks';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/**
 * Counts the SQL statements each role runs (BEGIN and COMMIT aside), so the benchmark can report statements per
 * message per role, in one process as in many. A role runs inside `as(role, …)`; whatever it starts from there,
 * its consumer loop included, carries its name (AsyncLocalStorage).
 */
export class StatementCounter implements KyselyPlugin {
  readonly #role = new AsyncLocalStorage<string>();
  readonly #counts = new Map<string, number>();

  as<T>(role: string, work: () => T): T {
    return this.#role.run(role, work);
  }

  /** Statements run so far, by role ("other": outside any role, e.g. migrations). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const role = this.#role.getStore() ?? 'other';
    this.#counts.set(role, (this.#counts.get(role) ?? 0) + 1);
    return node;
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}
