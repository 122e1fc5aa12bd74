/** Paths for the tests: our own fixtures, and the shared real data beside the repository. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

export const FIXTURES = path.join(here, 'fixtures');

/** `../shared/data` relative to the repository root; never copied into the repository. */
export const REAL_DATA = path.resolve(repoRoot, '../shared/data');
export const HAS_REAL_DATA = existsSync(REAL_DATA);
export const NO_REAL_DATA_MESSAGE = `real data folder ${REAL_DATA} is absent: real-data tests skipped`;

/** The configuration event-routing-backends' test settings fix (test_settings.py, test_utils). */
export const UPSTREAM_TEST_OPTIONS = {
  lmsRootUrl: 'http://localhost:18000', // LMS_ROOT_URL
  actorId: () => '32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb', // mocked ExternalId.external_user_id
  courseName: () => 'Demonstration Course', // mocked get_course_overviews()[0].display_name
  transformerVersion: 'event-routing-backends@1.1.1', // RUNNING_WITH_TEST_SETTINGS
} as const;
