import { describe, expect, it } from 'vitest';
import { courseIdFromUrl } from '../src/lib.ts';

describe('course id - from URLs and URL-path event types', () => {
  it.each([
    ['http://lms/courses/edX/DemoX/Demo_Course/courseware/a/b/', 'edX/DemoX/Demo_Course'],
    ['/courses/edX/E929/2014_T2/xblock/i4x:;_;_edX;_E929;_problem;_1/handler/x', 'edX/E929/2014_T2'],
    ['https://lms/courses/course-v1:edX+DemoX+Demo_Course/courseware/?activate_block_id=x', 'course-v1:edX+DemoX+Demo_Course'],
    ['/course/course-v1:OpenCraft+PRDemo1+2016', 'course-v1:OpenCraft+PRDemo1+2016'],
    ['/import_status/course-v1:OpenCraft+PRDemo2+2016/course.GvJdqR.tar.gz', 'course-v1:OpenCraft+PRDemo2+2016'],
    ['/courses/ccx-v1:edX+DemoX+Demo_Course+ccx@2/courseware', 'ccx-v1:edX+DemoX+Demo_Course+ccx@2'],
    ['/xblock/container/block-v1:OpenCraft+PRDemo1+2016+type@vertical+block@abc', 'course-v1:OpenCraft+PRDemo1+2016'],
  ])('%s -> %s', (url, expected) => {
    expect(courseIdFromUrl(url)).toBe(expected);
  });

  it.each([
    '/',
    '/dashboard',
    '/courses',
    'x_module',
    '/course/edX.E929.2014_T2/branch/draft/block/2014_T2',
    'http://lms/about?next=/courses/a/b/c',
  ])('finds none in %s', (url) => {
    expect(courseIdFromUrl(url)).toBeUndefined();
  });
});
