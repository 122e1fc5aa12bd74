import type { ModuleState, ModuleManifest } from '@insights/runtime/internal';
import type { ResolvedRestartPolicy } from './limits.ts';
import type { LogRelay } from './log-relay.ts';
import type { Sandbox } from './sandbox.ts';
import type { SandboxLauncher } from './sandbox-launcher.ts';

/** What the supervisor tells its host. */
export interface SupervisorEvents {
  /** A sandbox has loaded and serves: send it what waits. */
  up(sandbox: Sandbox): void;
  /** Crash loop: fail what waits, callers can retry elsewhere instead of waiting out a backoff. */
  crashLooping(reason: string): void;
}

const CLOSE_GRACE_MS = 2000;

/**
 * Keeps one module's sandbox running: restarts it after a crash with exponential backoff, marks
 * the module degraded after `crashLoopAfter` consecutive crashes, and forgives them once a
 * sandbox has stayed up for `stableAfterMs`.
 */
export class Supervisor {
  state: ModuleState = 'loading';
  lastError = '';
  restarts = 0;
  manifest: ModuleManifest | undefined;
  /** The current sandbox: starting, or serving once `live`. */
  sandbox: Sandbox | undefined;
  live = false;
  /** Set while a reload swaps sandboxes: exits are not crashes, nothing restarts. */
  paused = false;
  closed = false;
  #crashes = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly launcher: SandboxLauncher,
    private readonly policy: ResolvedRestartPolicy,
    private readonly logs: LogRelay,
    private readonly events: SupervisorEvents,
  ) {}

  /** Starts a sandbox and waits for it to load; false (reason in lastError) if it did not. */
  async launch(): Promise<boolean> {
    const sb = this.launcher.start(this.launcher.bundle, (reason) => this.#exited(sb, reason));
    this.sandbox = sb;
    let manifest: ModuleManifest;
    try {
      manifest = await sb.ready;
    } catch (e) {
      this.lastError = this.#withDetail((e as Error).message);
      if (this.sandbox === sb) this.sandbox = undefined;
      sb.kill('failed to start');
      return false;
    }
    if (this.manifest !== undefined && manifest.name !== this.manifest.name) {
      this.lastError = `the module's name changed from ${this.manifest.name} to ${manifest.name}`;
      sb.kill(this.lastError);
      return false;
    }
    if (sb.exited || this.sandbox !== sb) return false;
    if (this.launcher.name === undefined) {
      this.launcher.name = manifest.name;
      this.logs.named(manifest.name);
    }
    this.manifest = manifest;
    this.live = true;
    this.state = this.#crashes >= this.policy.crashLoopAfter ? 'degraded' : 'ready';
    this.#stableTimer = setTimeout(() => this.#stable(), this.policy.stableAfterMs);
    this.#stableTimer.unref();
    this.events.up(sb);
    return true;
  }

  /** A fresh start (new code): past crashes no longer count. */
  forgiveCrashes(): void {
    this.#crashes = 0;
  }

  /** Counts a crash and schedules the next start after the backoff. */
  scheduleRestart(): void {
    if (this.closed) return;
    this.#crashes++;
    this.restarts++;
    if (this.#crashes >= this.policy.crashLoopAfter) {
      if (this.state !== 'degraded') this.logs.log.error('module is crash-looping: marked degraded', { crashes: this.#crashes });
      this.state = 'degraded';
      this.events.crashLooping(this.lastError);
    } else this.state = 'loading';
    const delay = Math.min(this.policy.maxBackoffMs, this.policy.initialBackoffMs * 2 ** (this.#crashes - 1));
    this.#restartTimer = setTimeout(() => {
      if (this.closed || this.paused) return;
      void this.launch().then((ok) => ok || this.scheduleRestart());
    }, delay);
  }

  /** Waits while `busy()` (up to `graceMs`), then closes the sandbox (it owns the module's db). */
  async stop(graceMs: number, busy: () => boolean): Promise<void> {
    const sb = this.sandbox;
    this.live = false;
    this.sandbox = undefined;
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#restartTimer);
    const until = Date.now() + graceMs;
    while (busy() && Date.now() < until && sb !== undefined && !sb.exited) await new Promise((r) => setTimeout(r, 10));
    await sb?.close(CLOSE_GRACE_MS);
  }

  #exited(sb: Sandbox, reason: string): void {
    // A sandbox that never loaded is handled by whoever launched it; an old one by stop().
    if (!sb.started || sb !== this.sandbox) return;
    this.sandbox = undefined;
    this.live = false;
    clearTimeout(this.#stableTimer);
    if (this.closed || this.paused) return;
    this.lastError = this.#withDetail(reason);
    this.logs.log.error('module sandbox crashed; restarting it', { error: this.lastError, restarts: this.restarts + 1 });
    this.scheduleRestart();
  }

  #stable(): void {
    if (!this.live) return;
    if (this.state === 'degraded') this.logs.log.info('module recovered: its sandbox stayed up', { restarts: this.restarts });
    this.#crashes = 0;
    this.state = 'ready';
  }

  #withDetail(reason: string): string {
    const detail = this.logs.crashDetail();
    return detail === '' || reason.includes(detail) ? reason : `${reason}: ${detail}`;
  }
}
