/**
 * Runs initdb in the directory given as argument, in a process of its own (see pglite-cluster.ts): PGlite's initdb
 * leaves hundreds of MB of WebAssembly and malloc memory that a process never gives back, and this one exits.
 */
import { startPglite } from './pglite-start.ts';

const pglite = await startPglite(process.argv[2]!);
await pglite.close();
