import path from 'node:path';
import { InsightsError } from '@insights/sdk';

/**
 * Resolves a module-relative file name inside `root`, refusing anything that would land outside
 * it (absolute paths, `..` escapes, NUL bytes) and names of our own bookkeeping files.
 */
export function resolveInside(root: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 1024 || name.includes('\0'))
    throw new InsightsError('INVALID_ARGUMENT', `file name must be 1 to 1024 characters without NUL: ${JSON.stringify(name)}`, {
      parameter: 'name',
    });
  const full = path.resolve(root, name);
  const rel = path.relative(root, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep)[0] === RESERVED_DIR)
    throw new InsightsError('PERMISSION_DENIED', `file name "${name}" is outside the module's folder`, {
      parameter: 'name',
    });
  return full;
}

/** Folder inside a module's files root that holds bookkeeping (expiry table). */
export const RESERVED_DIR = '.insights';
