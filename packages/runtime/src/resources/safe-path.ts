import path from 'node:path';
import { InsightsError } from '@insights/sdk';

/**
 * Resolves a module-relative file name inside `root`, refusing anything that would land outside
 * it (absolute paths, `..` escapes, NUL bytes) and names of our own bookkeeping files.
 */
export function resolveInside(root: string, name: string): string {
  checkFileNameShape(name);
  const full = path.resolve(root, name);
  const rel = path.relative(root, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep)[0] === RESERVED_DIR)
    throw new InsightsError('PERMISSION_DENIED', `file name "${name}" is outside the module's folder`, {
      parameter: 'name',
    });
  return full;
}

/** The rule every store applies to a module file's name: 1 to 1024 characters, no NUL. */
export function checkFileNameShape(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 1024 || name.includes('\0'))
    throw new InsightsError('INVALID_ARGUMENT', `file name must be 1 to 1024 characters without NUL: ${JSON.stringify(name)}`, {
      parameter: 'name',
    });
}

/**
 * A file name as a key, for stores without folders (files-db.ts): normalised like a path, and
 * refused where resolveInside would refuse it, so a name means the same file in every store.
 */
export function normaliseFileName(name: string): string {
  checkFileNameShape(name);
  const normal = path.posix.normalize(name);
  if (
    normal === '.' ||
    normal.startsWith('../') ||
    normal === '..' ||
    path.posix.isAbsolute(normal) ||
    normal.split('/')[0] === RESERVED_DIR
  )
    throw new InsightsError('PERMISSION_DENIED', `file name "${name}" is outside the module's folder`, {
      parameter: 'name',
    });
  return normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Folder inside a module's files root that holds bookkeeping (expiry table). */
export const RESERVED_DIR = '.insights';
