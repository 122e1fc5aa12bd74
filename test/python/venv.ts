import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/tmp.ts';

/** The virtual environment `npm test` (scripts/bootstrap.mjs) creates with the Python client installed. */
export const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
export const NO_VENV = !existsSync(VENV_PYTHON);
if (NO_VENV) console.warn('.venv is missing: the Python tests are skipped (npm test creates it)');
