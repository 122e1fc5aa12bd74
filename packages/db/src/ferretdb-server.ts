/**
 * A FerretDB process (a MongoDB wire-protocol server on SQLite files) for tests and benches where
 * no `MONGODB_URL` is given. `scripts/bootstrap.mjs` builds the binary into `.tools/bin/`; this
 * starts it on a free loopback port (it binds port 0 and logs the port it got) with its data in a
 * temporary folder, removed on stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the bootstrap puts the binary (gitignored, kept between runs). */
export const FERRETDB_BIN = path.join(REPO_ROOT, '.tools', 'bin', 'ferretdb');
const START_TIMEOUT_MS = 20_000;

export interface FerretDb {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** The binary to run: `$FERRETDB_BIN`, else the bootstrap's; undefined when neither exists. */
export function ferretDbBinary(): string | undefined {
  const fromEnv = process.env['FERRETDB_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return existsSync(FERRETDB_BIN) ? FERRETDB_BIN : undefined;
}

export interface FerretDbOptions {
  binary?: string;
  /**
   * Require authentication (FerretDB's SCRAM users), with this first user in `admin`. FerretDB
   * 1.x authenticates but has no authorization: any user reaches every database.
   */
  admin?: { username: string; password: string };
}

export async function startFerretDb(options: FerretDbOptions = {}): Promise<FerretDb> {
  const binary = options.binary ?? ferretDbBinary();
  if (binary === undefined) throw new Error(`FerretDB is not built: run "npm test" once (it builds ${FERRETDB_BIN}).`);
  const work = await mkdtemp(path.join(tmpdir(), 'insights-ferretdb-'));
  const proc = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${work}/`,
      `--state-dir=${work}`,
      '--listen-addr=127.0.0.1:0',
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-format=json',
      '--log-level=INFO', // the port is in an INFO line
      ...(options.admin === undefined
        ? []
        : [
            '--test-enable-new-auth',
            '--setup-database=admin',
            `--setup-username=${options.admin.username}`,
            `--setup-password=${options.admin.password}`,
          ]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(work, { recursive: true, force: true });
  };
  try {
    const port = await listeningPort(proc);
    return { url: `mongodb://127.0.0.1:${port}/`, process: proc, stop };
  } catch (err) {
    proc.kill('SIGKILL');
    await stop();
    throw err;
  }
}

/** Reads the port from the "Listening on TCP 127.0.0.1:<port>" log line. */
function listeningPort(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`FerretDB did not listen within ${START_TIMEOUT_MS} ms:\n${log}`)),
      START_TIMEOUT_MS,
    );
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FerretDB exited with ${String(code)}:\n${log}`));
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      log = (log + chunk).slice(-8000);
      const m = /Listening on TCP 127\.0\.0\.1:(\d+)/.exec(log);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
}
