/** xAPI IRIs used by Open edX (event-routing-backends `processors/xapi/constants.py`). */

export const XAPI_VERSION = '1.0.3';

export const VERB = {
  attempted: 'http://adlnet.gov/expapi/verbs/attempted',
  evaluated: 'https://w3id.org/xapi/acrossx/verbs/evaluated',
  registered: 'http://adlnet.gov/expapi/verbs/registered',
  unregistered: 'http://id.tincanapi.com/verb/unregistered',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  failed: 'http://adlnet.gov/expapi/verbs/failed',
  navigated: 'https://w3id.org/xapi/dod-isd/verbs/navigated',
  posted: 'https://w3id.org/xapi/acrossx/verbs/posted',
  edited: 'https://w3id.org/xapi/acrossx/verbs/edited',
  viewed: 'http://id.tincanapi.com/verb/viewed',
  deleted: 'https://w3id.org/xapi/dod-isd/verbs/deleted',
  voted: 'https://w3id.org/xapi/openedx/verb/voted',
  reported: 'https://w3id.org/xapi/acrossx/verbs/reported',
  unreported: 'https://w3id.org/xapi/openedx/verb/unreported',
  earned: 'http://id.tincanapi.com/verb/earned',
  progressed: 'http://adlnet.gov/expapi/verbs/progressed',
  terminated: 'http://adlnet.gov/expapi/verbs/terminated',
  asked: 'http://adlnet.gov/expapi/verbs/asked',
  initialized: 'http://adlnet.gov/expapi/verbs/initialized',
  played: 'https://w3id.org/xapi/video/verbs/played',
  paused: 'https://w3id.org/xapi/video/verbs/paused',
  seeked: 'https://w3id.org/xapi/video/verbs/seeked',
  interacted: 'http://adlnet.gov/expapi/verbs/interacted',
} as const;

export type VerbName = keyof typeof VERB;

export const ACTIVITY = {
  question: 'http://adlnet.gov/expapi/activities/question',
  solution: 'http://id.tincanapi.com/activitytype/solution',
  resource: 'http://id.tincanapi.com/activitytype/resource',
  interaction: 'http://adlnet.gov/expapi/activities/cmi.interaction',
  supplementalInfo: 'https://w3id.org/xapi/acrossx/extensions/supplemental-info',
  course: 'http://adlnet.gov/expapi/activities/course',
  module: 'http://adlnet.gov/expapi/activities/module',
  video: 'https://w3id.org/xapi/video/activity-type/video',
  discussion: 'http://id.tincanapi.com/activitytype/discussion',
  link: 'http://adlnet.gov/expapi/activities/link',
  timedAssessment: 'https://w3id.org/xapi/openedx/activity/timed-assessment',
  practiceAssessment: 'https://w3id.org/xapi/openedx/activity/practice-assessment',
  proctoredAssessment: 'https://w3id.org/xapi/openedx/activity/proctored-assessment',
  examAttempt: 'http://adlnet.gov/expapi/activities/attempt',
} as const;

export const EXT = {
  totalItems: 'https://w3id.org/xapi/acrossx/extensions/total-items',
  mode: 'https://w3id.org/xapi/acrossx/extensions/type',
  attemptId: 'http://id.tincanapi.com/extension/attempt-id',
  gradeClassification: 'http://www.tincanapi.co.uk/activitytypes/grade_classification',
  progress: 'https://w3id.org/xapi/cmi5/result/extensions/progress',
  videoLength: 'https://w3id.org/xapi/video/extensions/length',
  startingPosition: 'http://id.tincanapi.com/extension/starting-position',
  endingPosition: 'http://id.tincanapi.com/extension/ending-point',
  sessionId: 'https://w3id.org/xapi/openedx/extensions/session-id',
  timeLimit: 'https://w3id.org/xapi/acrossx/extensions/time-limit',
  attemptStarted: 'https://w3id.org/xapi/openedx/extension/attempt-started',
  attemptCompleted: 'https://w3id.org/xapi/openedx/extension/attempt-completed',
  duration: 'http://id.tincanapi.com/extension/duration',
  videoTime: 'https://w3id.org/xapi/video/extensions/time',
  videoTimeFrom: 'https://w3id.org/xapi/video/extensions/time-from',
  videoTimeTo: 'https://w3id.org/xapi/video/extensions/time-to',
  speedFrom: 'https://w3id.org/xapi/openedx/extension/speed-from',
  speedTo: 'https://w3id.org/xapi/openedx/extension/speed-to',
  ccEnabled: 'https://w3id.org/xapi/video/extensions/cc-enabled',
  transformerVersion: 'https://w3id.org/xapi/openedx/extension/transformer-version',
} as const;

/** `settings.LMS_ROOT_URL`-relative IRIs: `{root}/{type}/{id}` (event-routing-backends `get_object_iri`). */
export function objectIri(root: string, type: string, id: string | undefined): string | undefined {
  return id === undefined ? undefined : `${root}/${type}/${id}`;
}
