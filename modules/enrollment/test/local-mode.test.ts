/** End to end in local mode: raw tracking-log lines through the edx data layer, the node's filters and the handler. */
import { local, type Mesh } from '@insights/client';
import edx from '@insights/module-edx';
import {
  EDX_TRACKING_LOGS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  readLogRaw,
} from '@insights/analytics-common/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import enrollment, { computeEnrollmentDaily } from '../src/index.ts';

describe.skipIf(!HAS_REAL_DATA)('enrollment - local mode on the real logs', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});
  let mesh: Mesh;
  beforeEach(async () => {
    mesh = await local({ modules: [edx, enrollment] });
  });
  afterEach(() => mesh.close());

  it('all 12 logs, one ingest per file, the first ingested twice: equals the recompute', async () => {
    for (const f of EDX_TRACKING_LOGS) await mesh.events.ingest(await readLogRaw(f));
    const report = await mesh.events.ingest(await readLogRaw(EDX_TRACKING_LOGS[0]!));
    expect(report.delivered).toEqual({ 'enrollment.record_enrollment_changes': 9 });
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    expect(await mesh.query.enrollment_daily!()).toEqual(computeEnrollmentDaily(events));
  });
});
