/**
 * Real MariaDB and PostgreSQL servers for the SQL-source tests, each on a free loopback port with
 * its own temporary data folder, an admin connection for setup and a read-only user for the node.
 * `npm test` installs both (Debian's mariadb-server and postgresql); without them the suites skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './tmp.ts';

export interface SqlServer {
  readonly kind: 'mysql' | 'postgres';
  readonly port: number;
  /** A user that may only read (SELECT) the test database. */
  readonly readOnly: { readonly user: string; readonly password: string };
  /** A user that may write the test database (to prove the node's read-only layers on their own). */
  readonly writer: { readonly user: string; readonly password: string };
  readonly database: string;
  /** Runs SQL as the server's admin (setup and inspection). */
  admin(sql: string): Promise<string>;
  stop(): Promise<void>;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Debian keeps PostgreSQL's server binaries out of PATH, under /usr/lib/postgresql/<version>/bin. */
function postgresBin(name: string): string | undefined {
  if (onPath(name)) return name;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const v of readdirSync(root).sort().reverse()) {
    const p = path.join(root, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export const NO_MARIADB = !onPath('mariadbd') || !onPath('mariadb-install-db');
export const NO_POSTGRES = postgresBin('postgres') === undefined || postgresBin('initdb') === undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess, log: () => Promise<string>, what: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${await log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within 60 s:\n${await log()}`);
}

function runTool(cmd: string, args: string[], opts: { input?: string; uid?: number; gid?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
    p.stdin.end(opts.input ?? '');
  });
}

function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => (clearTimeout(kill), resolve()));
    proc.kill('SIGTERM');
  });
}

const RO = { user: 'insights_ro', password: 'ro-secret-1' };
const RW = { user: 'insights_rw', password: 'rw-secret-1' };

export async function startMariaDb(database = 'lms'): Promise<SqlServer> {
  const tmp = await tempDir('insights-mariadb-');
  const data = path.join(tmp.dir, 'data');
  const socket = path.join(tmp.dir, 'sock');
  await runTool('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  const errLog = path.join(tmp.dir, 'error.log');
  const proc = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--user=root',
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      '--innodb-flush-log-at-trx-commit=0',
      `--pid-file=${path.join(tmp.dir, 'pid')}`,
      `--log-error=${errLog}`,
    ],
    { stdio: 'ignore' },
  );
  const log = () => readFile(errLog, 'utf8').catch(() => '');
  try {
    await waitForPort(port, proc, log, 'mariadbd');
  } catch (e) {
    await stopProcess(proc);
    await tmp.remove();
    throw e;
  }
  await runTool('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '--batch'], {
    input: [
      `CREATE DATABASE ${database};`,
      `CREATE USER '${RO.user}'@'%' IDENTIFIED BY '${RO.password}';`,
      `GRANT SELECT ON ${database}.* TO '${RO.user}'@'%';`,
      `CREATE USER '${RW.user}'@'%' IDENTIFIED BY '${RW.password}';`,
      `GRANT ALL ON ${database}.* TO '${RW.user}'@'%';`,
    ].join('\n'),
  });
  return {
    kind: 'mysql',
    port,
    readOnly: RO,
    writer: RW,
    database,
    admin: (sql) => runTool('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '--batch', database], { input: sql }),
    stop: async () => {
      await stopProcess(proc);
      await tmp.remove();
    },
  };
}

/** The uid/gid PostgreSQL runs as: it refuses root. Debian's package creates `postgres`. */
function postgresUser(): { uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0) return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('no postgres or nobody user to run PostgreSQL as');
}

export async function startPostgres(database = 'lms'): Promise<SqlServer> {
  const initdb = postgresBin('initdb')!;
  const postgres = postgresBin('postgres')!;
  const psql = postgresBin('psql') ?? 'psql';
  const tmp = await tempDir('insights-postgres-');
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  await chmod(tmp.dir, 0o755);
  const data = path.join(tmp.dir, 'data');
  await mkdir(data, { mode: 0o700 });
  const pwfile = path.join(tmp.dir, 'pw');
  const adminPassword = 'admin-secret-1';
  await writeFile(pwfile, adminPassword);
  if (owner) {
    // PostgreSQL writes its socket and lock file in the folder: it must own it.
    await chown(tmp.dir, owner.uid, owner.gid);
    await chown(data, owner.uid, owner.gid);
    await chown(pwfile, owner.uid, owner.gid);
  }
  await runTool(
    initdb,
    [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--no-sync',
      '-E',
      'UTF8',
    ],
    owner ?? {},
  );
  const port = await freePort();
  const proc = spawn(
    postgres,
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      tmp.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      `log_destination=stderr`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], uid: owner?.uid, gid: owner?.gid },
  );
  let pgLog = '';
  proc.stderr?.on('data', (d: Buffer) => (pgLog = (pgLog + d.toString()).slice(-20_000)));
  try {
    await waitForPort(port, proc, () => Promise.resolve(pgLog), 'postgres');
  } catch (e) {
    await stopProcess(proc);
    await tmp.remove();
    throw e;
  }
  const psqlAs = (db: string, sql: string) =>
    runTool(psql, ['-h', tmp.dir, '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-q', '-A', '-t'], {
      input: sql,
      ...(owner ?? {}),
    });
  await psqlAs('postgres', `CREATE DATABASE ${database};`);
  await psqlAs(
    database,
    [
      `CREATE ROLE ${RO.user} LOGIN PASSWORD '${RO.password}';`,
      `GRANT CONNECT ON DATABASE ${database} TO ${RO.user};`,
      `GRANT USAGE ON SCHEMA public TO ${RO.user};`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${RO.user};`,
      `CREATE ROLE ${RW.user} LOGIN PASSWORD '${RW.password}';`,
      `GRANT ALL ON DATABASE ${database} TO ${RW.user};`,
      `GRANT ALL ON SCHEMA public TO ${RW.user};`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${RW.user};`,
    ].join('\n'),
  );
  return {
    kind: 'postgres',
    port,
    readOnly: RO,
    writer: RW,
    database,
    admin: (sql) => psqlAs(database, sql),
    stop: async () => {
      await stopProcess(proc);
      await tmp.remove();
    },
  };
}
