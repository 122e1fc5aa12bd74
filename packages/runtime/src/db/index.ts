/**
 * The database code lives in `@insights/db`. The sandbox child (runtime/src/sandbox/) still
 * imports the provider from here; this re-export keeps that path until the sandbox reaches its
 * database through the node.
 */
export { createDbProvider } from '@insights/db';
export type { DbProvider, DbProviderOptions } from '@insights/db';
