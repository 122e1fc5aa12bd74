import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { EmbedSigner } from '@insights/dashboard';
import {
  chromiumAvailable,
  CHROMIUM_PATH,
  launchChromium,
  type Browser,
  type BrowserContext,
  type Page,
} from '@insights/dashboard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_NATS } from '../support/nats.ts';
import { REPO_ROOT } from '../support/tmp.ts';
import { PASSWORD, startMesh, type Mesh } from './harness.ts';

const NO_BROWSER = !chromiumAvailable();
if (NO_BROWSER)
  console.warn(
    `Chromium is not installed at ${CHROMIUM_PATH}, so the dashboard browser tests are skipped (npm test installs it on Debian/Ubuntu).`,
  );

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'dashboard');
/** The README's screenshot; refreshed only on request (UPDATE_DOCS_SCREENSHOTS=1), so test runs leave the tree clean. */
const DOCS_SCREENSHOT = path.join(REPO_ROOT, 'docs', 'dashboard.png');

describe.skipIf(NO_NATS || NO_BROWSER)('dashboard - end to end in Chromium', () => {
  let mesh: Mesh;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;

  const url = (p: string) => `${mesh.dashboard.url}${p}`;
  const shot = (name: string, p = page) => p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  async function login(context: BrowserContext, user: string): Promise<Page> {
    context.setDefaultTimeout(8_000); // fail with the locator's name, well before the test's own timeout
    const p = await context.newPage();
    await p.goto(url('/'));
    await p.getByLabel('User name').fill(user);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.locator('#catalog li').first().waitFor();
    return p;
  }

  /** The sandboxed frame the last result went into. */
  const resultFrame = async (p = page) => {
    const handle = await p.locator('#output iframe').elementHandle({ timeout: 10_000 });
    const frame = await handle?.contentFrame();
    if (!frame) throw new Error('no result frame');
    return frame;
  };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    [mesh, browser] = await Promise.all([startMesh(), launchChromium()]);
    admin = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await login(admin, 'ada');
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await mesh?.close();
  });

  it('lists every analytic of the mesh by module and by node, searches, and follows nodes as they join', async () => {
    const list = page.locator('#catalog');
    for (const m of ['courses', 'echo', 'examples'])
      await expect(list.getByRole('region', { name: `module ${m}` }).isVisible()).resolves.toBe(true);
    await expect(list.locator('.by-module li').count()).resolves.toBe(11);

    await page.keyboard.press('/'); // keyboard shortcut to the search box
    await page.keyboard.type('grade');
    await expect(page.locator('#search-status').textContent()).resolves.toBe('2 matching analytics');
    await expect(list.getByRole('link', { name: /plot_grades/ }).isVisible()).resolves.toBe(true);
    await expect(list.getByRole('link', { name: /hello_user/ }).isVisible()).resolves.toBe(false);
    await page.getByLabel('Search analytics').fill('');

    await page.getByRole('radio', { name: 'node' }).check();
    await expect(list.getByRole('region', { name: 'node lms' }).isVisible()).resolves.toBe(true);
    await page.getByRole('radio', { name: 'module' }).check();

    // A node joins: its module appears without a reload (registry -> dashboard -> event stream).
    await mesh.startSlowNode();
    await list.getByRole('link', { name: /progress_view/ }).waitFor({ timeout: 10_000 });
    await expect(list.getByRole('region', { name: 'module slow' }).textContent()).resolves.toContain('forums');
    await shot('list');
  });

  it('builds a form from the schema (choices from a query, required marks) and draws a Vega-Lite chart in a sandboxed frame', async () => {
    await page.getByRole('link', { name: /item_chart/ }).click();
    const course = page.locator('#run-form').getByLabel('course');
    await expect(course.locator('option').allTextContents()).resolves.toEqual([
      '— choose —',
      'Circuits and Electronics (C1)',
      'Introduction to Statistics (C2)',
    ]);
    await expect(page.locator('label[for="p-course"] abbr[title="required"]').count()).resolves.toBe(1);
    await course.selectOption('C2');
    await page.getByRole('button', { name: 'Run' }).click();

    const frame = await resultFrame();
    await frame.locator('body[data-rendered="true"]').waitFor({ timeout: 10_000 });
    await expect(frame.locator('.mark-rect path').count()).resolves.toBe(5);
    await expect(page.locator('#output iframe').getAttribute('sandbox')).resolves.toBe('allow-scripts');
    // The view runs in an opaque origin: no way to the dashboard's page or cookies.
    const reach = await frame.evaluate(() => {
      const tryIt = (f: () => unknown) => {
        try {
          return String(f());
        } catch {
          return 'blocked';
        }
      };
      return { parent: tryIt(() => window.parent.document.title), cookie: tryIt(() => document.cookie) };
    });
    expect(reach).toEqual({ parent: 'blocked', cookie: 'blocked' });
    // The address is now a deep link to this chart.
    expect(new URL(page.url()).search).toBe('?course=C2&_run=1');
    await shot('chart');
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') await page.screenshot({ path: DOCS_SCREENSHOT });
  });

  it('opens a shared deep link straight to its result; a PNG view loads its image through the dashboard', async () => {
    const shared = await admin.newPage();
    await shared.goto(url('/a/view/courses.roster?course=C2&size=3&_run=1'));
    const frame = await resultFrame(shared);
    await expect(frame.locator('tbody tr').count()).resolves.toBe(3);
    await expect(shared.getByRole('link', { name: 'Download CSV' }).isVisible()).resolves.toBe(true);

    await shared.goto(url('/a/view/examples.plot_grades?course=demo&_run=1'));
    const png = await resultFrame(shared);
    const img = png.locator('img');
    await img.waitFor();
    await expect
      .poll(() => img.evaluate((i: HTMLImageElement) => (i.complete ? i.naturalWidth : 0)), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await expect(img.getAttribute('src')).resolves.toMatch(/^\/node-files\/lms\/examples\//);
    await shot('png-view', shared);
    await shared.close();
  });

  it('shows query results as a table or JSON, and downloads them as CSV', async () => {
    await page.goto(url('/a/query/examples.get_grades'));
    await page.locator('#run-form').getByLabel('learners').fill('5');
    await page.getByRole('button', { name: 'Run' }).click();
    const rows = page.locator('#output table.data tbody tr');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(5);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('examples.get_grades.csv');
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('learner,grade');
    expect(csv.trim().split('\r\n')).toHaveLength(6);
    await page.getByRole('button', { name: 'Show JSON' }).click();
    await expect(page.locator('#output pre.json').textContent()).resolves.toContain('"learner": "learner1"');
  });

  it('shows the progress of a slow view, and Cancel stops the call on the node', async () => {
    await page.goto(url('/a/view/slow.progress_view?steps=100&stepMs=100'));
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toMatch(/step [2-9] of 100/);
    await expect(page.locator('#progress').evaluate((p: HTMLProgressElement) => p.value)).resolves.toBeGreaterThan(0);
    expect(mesh.slow!.dispatcher.inFlight).toBe(1);
    await shot('progress');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Cancelled/);
    // The view would run for 10 s; the abort reaches the module at its next step.
    await expect.poll(() => mesh.slow!.dispatcher.inFlight, { timeout: 3_000 }).toBe(0);
    await expect(page.getByRole('button', { name: 'Run' }).isEnabled()).resolves.toBe(true);
  });

  it('says what went wrong (invalid parameter named, deadline exceeded) and the page keeps working', async () => {
    await page.goto(url('/a/query/examples.get_grades?learners=0&_run=1'));
    const error = page.getByRole('alert');
    await expect(error.textContent()).resolves.toMatch(/^Invalid parameter “learners”: [^"]*>= ?1$/);
    await expect(page.locator('#run-form').getByLabel('learners').getAttribute('aria-invalid')).resolves.toBe('true');
    await shot('error');

    await page.goto(url('/a/query/slow.sleep?ms=5000'));
    await page.getByText('Options').click();
    await page.getByLabel('Time limit, seconds').fill('0.3');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => error.textContent()).toMatch(/^Deadline exceeded/);

    await page.locator('#p-ms').fill('10');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.locator('#output pre.json').textContent()).toBe('"slept 10"');
    await expect(error.isVisible()).resolves.toBe(false);
  });

  it('an instructor sees only what the role allows, with the course locked, and hand-edited URLs are refused', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const prof = await login(ctx, 'prof');
      const list = prof.locator('#catalog');
      await expect(list.textContent()).resolves.not.toMatch(/admin_secret|progress_view|slow/);
      await list.getByRole('link', { name: /course_report/ }).click();
      await expect(prof.locator('#run-form').getByLabel('course').count()).resolves.toBe(0);
      await expect(prof.locator('.locked').textContent()).resolves.toBe('Set by your role: course = C1');
      await prof.locator('#run-form').getByLabel('learner').fill('grace');
      await prof.getByRole('button', { name: 'Run' }).click();
      await expect.poll(() => prof.locator('#output pre.json').textContent()).toContain('"course": "C1"');
      await shot('instructor', prof);

      // Editing the page URL: the same "not available" whether denied or absent.
      const denied = await prof.goto(url('/a/query/echo.admin_secret'));
      expect(denied?.status()).toBe(404);
      await expect(prof.getByRole('alert').textContent()).resolves.toContain(
        'There is no query “echo.admin_secret” that you can use',
      );
      // Editing the API URL: the call goes through the instructor's proxy, whose capability nodes check.
      const api = async (p: string) => (await prof.request.get(url(p))).text();
      expect(await api('/api/run/query/echo.admin_secret')).toMatch(
        /event: error\ndata: \{"code":"PERMISSION_DENIED","message":"query echo\.admin_secret is not allowed by your policy"/,
      );
      expect(await api('/api/run/query/echo.course_report?course=C2')).toMatch(
        /"code":"PERMISSION_DENIED".*"parameter":"course"/,
      );
      expect(await api('/api/run/view/slow.progress_view')).toContain('"code":"PERMISSION_DENIED"');
      // And no session at all: nothing.
      expect((await fetch(url('/api/catalog'))).status).toBe(401);
    } finally {
      await ctx.close();
    }
  });

  it('mints embed URLs: one view, parameters fixed, framable by the LMS, refused when altered or expired', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const prof = await login(ctx, 'prof');
      await prof.goto(url('/a/view/courses.roster?size=2'));
      await prof.getByRole('button', { name: 'Embed…' }).click();
      const snippet = await prof.getByLabel('HTML for the LMS page').inputValue();
      const embedUrl = /src="([^"]+)"/.exec(snippet)?.[1] ?? '';
      expect(embedUrl).toMatch(/\/embed\/[\w-]+\.[\w-]+$/);

      const anon = await browser.newContext(); // the LMS's visitors have no dashboard session
      try {
        const res = await anon.request.get(embedUrl);
        expect(res.status()).toBe(200);
        expect(res.headers()['content-security-policy']).toMatch(/^sandbox; .*frame-ancestors 'self' http:\/\/lms\.example/);
        const body = await res.text();
        expect(body).toContain('<caption>Learners of C1</caption>'); // the instructor's course, from the grant
        expect(body.match(/<tr><td>/g)).toHaveLength(2);
        const [payload, mac] = embedUrl.split('/embed/')[1]!.split('.') as [string, string];
        const widened = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"size":2', '"size":40')).toString(
          'base64url',
        );
        const altered = await anon.request.get(url(`/embed/${widened}.${mac}`));
        expect(altered.status()).toBe(403);
        expect(await altered.text()).toContain('invalid signature');
        const old = new EmbedSigner(mesh.keys.privateKeyPem).mint(
          'courses.roster',
          {},
          { user: 'prof', name: 'prof', role: 'instructor', context: { course: 'C1' }, via: 'embed' },
          60,
          Date.now() - 3_600_000,
        );
        const expired = await anon.request.get(url(`/embed/${old}`));
        expect(expired.status()).toBe(403);
        expect(await expired.text()).toContain('expired');
      } finally {
        await anon.close();
      }
    } finally {
      await ctx.close();
    }
  });

  it('lays out for a tablet, and drops a node that leaves', async () => {
    const tablet = await admin.newPage();
    await tablet.setViewportSize({ width: 820, height: 1180 });
    await tablet.goto(url('/a/view/courses.item_chart?course=C1&_run=1'));
    await (await resultFrame(tablet)).locator('body[data-rendered="true"]').waitFor({ timeout: 10_000 });
    const side = await tablet.locator('.sidebar').boundingBox();
    const main = await tablet.locator('main').boundingBox();
    expect(side!.y + side!.height).toBeLessThanOrEqual(main!.y + 1); // the list stacks above the form
    await shot('tablet', tablet);
    await tablet.close();

    await page.goto(url('/a/view/slow.progress_view'));
    await mesh.slow!.stop();
    mesh.slow = undefined;
    await expect.poll(() => page.locator('#catalog').textContent(), { timeout: 10_000 }).not.toContain('progress_view');
    await expect(page.locator('#status').textContent()).resolves.toBe(
      'No node serves this analytic right now; it comes back when its node does.',
    );
  });
});
