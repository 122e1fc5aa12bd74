/**
 * @insights/dashboard/testing: drives Debian's Chromium for the end-to-end tests (playwright-core
 * is a dev dependency of this package; nothing here is loaded by the dashboard itself).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export type { Browser, BrowserContext, Page, Frame, Download } from 'playwright-core';

export const CHROMIUM_PATH = process.env.INSIGHTS_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, container-friendly headless Chromium. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true, timeout: 20_000 });
}
