#!/usr/bin/env node
// Runs the TypeScript sources directly: Node 24 strips types natively.
import '../src/cli.ts';
