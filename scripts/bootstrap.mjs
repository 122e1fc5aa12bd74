#!/usr/bin/env node
// Entry point of `npm test`, `npm run demo` and `npm run bench` on a fresh clone. It uses only
// Node's standard library, because nothing else is installed yet when it starts: it checks Node,
// installs the workspace with the pinned pnpm, installs the system tools a step needs (on Debian
// or Ubuntu, through apt-get), then runs the step.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = 'pnpm@12.4.2';
const step = process.argv[2] ?? 'test';
const rest = process.argv.slice(3);

function say(msg) {
  process.stderr.write(`\x1b[1m[insights]\x1b[0m ${msg}\n`);
}

function fail(msg) {
  say(msg);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19))
    fail(`Node ${process.versions.node} is too old: install Node 20.19 or newer (https://nodejs.org), then run this again.`);
}

function pnpmCommand() {
  const v = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (v.status === 0 && v.stdout.trim().startsWith('12.')) return ['pnpm', []];
  return ['npx', ['--yes', PNPM]];
}

/**
 * Node's C headers for native addons (better-sqlite3 compiles SQLite): node-gyp would download
 * them, which may be impossible here, so point it at the ones installed with Node when present.
 */
function nativeBuildEnv() {
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  const nodedir = candidates.find((dir) => existsSync(path.join(dir, 'include', 'node', 'node.h')));
  return nodedir === undefined ? process.env : { ...process.env, npm_config_nodedir: nodedir };
}

/** Installs the workspace when node_modules is missing or older than the lockfile. */
function ensureWorkspace() {
  const marker = path.join(ROOT, 'node_modules', '.modules.yaml');
  const lock = path.join(ROOT, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // better-sqlite3 (the embedded database) builds from source when no prebuilt binary can be fetched.
  ensureSystemTool('make', 'make', 'native addons are compiled');
  ensureSystemTool('g++', 'g++', 'native addons are compiled');
  ensureSystemTool('python3', 'python3', 'node-gyp runs on Python');
  say(`installing dependencies with ${PNPM} (first run only; compiling SQLite takes a few minutes)...`);
  const [cmd, pre] = pnpmCommand();
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  if (run(cmd, [...pre, 'install', ...frozen], { env: nativeBuildEnv() }) !== 0)
    fail('dependency install failed; see the output above.');
}

const FERRETDB_VERSION = 'v1.24.2';
const TOOLS_BIN = path.join(ROOT, '.tools', 'bin');

function goCommand() {
  if (has('go')) return 'go';
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/**
 * FerretDB (a MongoDB wire-protocol server on SQLite) for the MongoDB backend's tests when no
 * MONGODB_URL is given, built once into .tools/bin (gitignored). Its module is built from a copy
 * with build/version/version.txt filled in: a plain `go install ...@version` leaves that file
 * empty and the binary panics at start.
 */
function ensureFerretDb() {
  const bin = path.join(TOOLS_BIN, 'ferretdb');
  if (existsSync(bin) || process.env.MONGODB_URL) return;
  const go = goCommand();
  if (go === undefined) {
    say(
      'Go is not installed, so FerretDB cannot be built: the MongoDB backend tests are skipped (set MONGODB_URL to run them against a server).',
    );
    return;
  }
  say(`building FerretDB ${FERRETDB_VERSION} into .tools/bin (first run only)...`);
  const dl = spawnSync(go, ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (dl.status !== 0) {
    say(`could not download FerretDB (${dl.stderr.trim()}); the MongoDB backend tests are skipped.`);
    return;
  }
  const src = path.join(ROOT, '.tools', 'ferretdb-src');
  rmSync(src, { recursive: true, force: true });
  cpSync(JSON.parse(dl.stdout).Dir, src, { recursive: true });
  run('chmod', ['-R', 'u+w', src]);
  writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  mkdirSync(TOOLS_BIN, { recursive: true });
  if (run(go, ['build', '-o', bin, './cmd/ferretdb'], { cwd: src }) !== 0)
    say('FerretDB did not build; the MongoDB backend tests are skipped.');
  rmSync(src, { recursive: true, force: true });
}

/** Installs a Debian package when `present()` says it is missing (Debian/Ubuntu only), or explains how. */
function ensureSystemPackage(present, what, debianPackage, why, { optional = false } = {}) {
  if (present()) return true;
  const isDebian = existsSync('/etc/debian_version') && has('apt-get');
  if (!isDebian) {
    const msg = `${what} is not installed (${why}). Install the ${debianPackage} package for your system and run this again.`;
    if (optional) {
      say(`${msg} Skipping what needs it.`);
      return false;
    }
    fail(msg);
  }
  say(`${what} is missing (${why}); installing the Debian package ${debianPackage} with apt-get...`);
  if (!aptInstall(debianPackage)) {
    if (optional) {
      say(`could not install ${debianPackage}; skipping what needs it.`);
      return false;
    }
    fail(`could not install ${debianPackage}; install it by hand and run this again.`);
  }
  return present();
}

/** Installs a Debian package when its command is missing. */
function ensureSystemTool(command, debianPackage, why, options) {
  return ensureSystemPackage(() => has(command), command, debianPackage, why, options);
}

/** Debian keeps PostgreSQL's server out of PATH: look for it under /usr/lib/postgresql/<version>/bin. */
function hasPostgres() {
  if (has('postgres') && has('initdb')) return true;
  return spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' }).status === 0;
}

/** The SQL-source tests start real MariaDB and PostgreSQL servers (read replicas of an LMS). */
function ensureSqlServers() {
  ensureSystemTool('mariadbd', 'mariadb-server', 'the SQL-source tests start a real MariaDB', { optional: true });
  ensureSystemPackage(hasPostgres, 'PostgreSQL', 'postgresql', 'the SQL-source tests start a real PostgreSQL', {
    optional: true,
  });
}

/** apt-get install (with one `apt-get update` when the package is not found); false if it failed. */
function aptInstall(debianPackage) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) =>
    sudo.length ? run('sudo', ['apt-get', ...args], { env: aptEnv }) : run('apt-get', args, { env: aptEnv });
  if (apt(['install', '-y', '--no-install-recommends', debianPackage]) === 0) return true;
  apt(['update']);
  return apt(['install', '-y', '--no-install-recommends', debianPackage]) === 0;
}

const VENV = path.join(ROOT, '.venv');
const VENV_PYTHON = path.join(VENV, 'bin', 'python');

/**
 * The Python client (python/) in a virtual environment at .venv, installed from PyPI with pip,
 * with its gRPC stubs generated from proto/; test/python runs pytest in it against real nodes.
 * Reinstalled when python/pyproject.toml is newer than the last install.
 */
function ensurePythonClient() {
  ensureSystemTool('python3', 'python3', 'the Python client is tested with pytest');
  const marker = path.join(VENV, '.insights-installed');
  const pyproject = path.join(ROOT, 'python', 'pyproject.toml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(pyproject).mtimeMs) return;
  if (!existsSync(VENV_PYTHON)) {
    say('creating the Python virtual environment .venv...');
    if (run('python3', ['-m', 'venv', VENV], { stdio: 'ignore' }) !== 0) {
      // Debian splits venv (ensurepip) out of python3.
      const version = spawnSync('python3', ['-c', 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'], {
        encoding: 'utf8',
      }).stdout.trim();
      if (existsSync('/etc/debian_version') && has('apt-get')) aptInstall(`python${version}-venv`);
      if (run('python3', ['-m', 'venv', VENV]) !== 0) fail('could not create .venv; install python3-venv and run this again.');
    }
  }
  say('installing the Python client and pytest into .venv (first run only)...');
  const pip = [VENV_PYTHON, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check'];
  if (run(pip[0], [...pip.slice(1), '-e', `${path.join(ROOT, 'python')}[test]`]) !== 0)
    fail('pip could not install the Python client; see the output above.');
  if (run(VENV_PYTHON, ['-c', 'from insights_mesh import stubs; stubs.generate()']) !== 0)
    fail('could not generate the gRPC stubs from proto/.');
  writeFileSync(marker, new Date().toISOString());
}

/** The CLI runs as built JavaScript (packages/cli/dist; its bin falls back to tsx while that is stale). */
function buildCli() {
  if (run(process.execPath, [path.join(ROOT, 'packages', 'cli', 'scripts', 'build.mjs')]) !== 0)
    fail('building the CLI (packages/cli/scripts/build.mjs) failed; see above.');
}

/**
 * The NATS server the project is tested and shipped with. Debian's package is 2.9 (2022); the
 * Go module proxy has current releases, so with Go present the bootstrap builds this version into
 * a project-local folder once (about a minute) and puts it first on PATH for the step.
 */
const NATS_SERVER_VERSION = 'v2.14.10';

function natsServerVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().replace(/^nats-server:\s*/, '') : undefined;
}

function ensureNatsServer({ optional = false } = {}) {
  const local = path.join(TOOLS_BIN, 'nats-server');
  const usable = () => natsServerVersion(local) === NATS_SERVER_VERSION;
  if (!usable()) {
    const go = goCommand();
    if (go !== undefined) {
      say(`building nats-server ${NATS_SERVER_VERSION} with Go into .tools/bin (first run only)...`);
      mkdirSync(TOOLS_BIN, { recursive: true });
      const env = { ...process.env, GOBIN: TOOLS_BIN, CGO_ENABLED: '0' };
      if (run(go, ['install', `github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}`], { env }) !== 0)
        say(`could not build nats-server ${NATS_SERVER_VERSION}; falling back to the system's nats-server.`);
    }
  }
  if (usable()) {
    process.env.PATH = `${TOOLS_BIN}${path.delimiter}${process.env.PATH ?? ''}`;
    return true;
  }
  say(
    `nats-server ${NATS_SERVER_VERSION} is not available (install Go 1.24+ and run this again to build it). ` +
      'Using the distribution package, which lacks JetStream durability settings of 2.10+.',
  );
  return ensureSystemTool('nats-server', 'nats-server', 'the mesh runs on NATS', { optional });
}

function tsx(script, args) {
  return run(process.execPath, ['--import', 'tsx', script, ...args]);
}

/** Prints the plain closing line CI reads: "tests: N passed, N failed, N skipped". */
function summarise(jsonFile) {
  try {
    const r = JSON.parse(readFileSync(jsonFile, 'utf8'));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`);
  } catch {
    // vitest printed its own summary; nothing to add
  }
}

checkNode();
ensureWorkspace();
buildCli();

switch (step) {
  case 'test': {
    ensureNatsServer();
    ensureSystemTool(
      'bwrap',
      'bubblewrap',
      'process modules run in a bubblewrap kernel sandbox; the hostile-module suite needs it',
      {
        optional: true,
      },
    );
    ensureSystemTool('chromium', 'chromium', 'the dashboard tests drive a real browser', { optional: true });
    ensureSqlServers();
    ensureFerretDb();
    ensurePythonClient();
    say('type-checking...');
    if (run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']) !== 0)
      fail('type errors; see above.');
    say('linting...');
    if (
      run(process.execPath, [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), 'packages', 'modules', 'test']) !== 0
    )
      fail('lint errors; see above (npx eslint --fix fixes many).');
    if (
      run(process.execPath, [
        path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
        '--check',
        '--log-level',
        'warn',
        '.',
      ]) !== 0
    )
      fail('formatting differs; run npx prettier --write . and commit.');
    mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    const out = path.join(ROOT, 'test-artifacts', 'vitest.json');
    const code = run(process.execPath, [
      path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...rest,
    ]);
    summarise(out);
    process.exit(code);
  }
  case 'demo':
    ensureNatsServer({ optional: true });
    ensureSystemTool('bwrap', 'bubblewrap', 'process modules run in a bubblewrap kernel sandbox', { optional: true });
    process.exit(tsx(path.join(ROOT, 'scripts', 'demo.ts'), rest));
  case 'bench':
    ensureNatsServer();
    ensureSystemTool('bwrap', 'bubblewrap', 'the benchmarks measure the bubblewrap sandbox', { optional: true });
    ensureFerretDb();
    process.exit(tsx(path.join(ROOT, 'bench', 'run.ts'), rest));
  default:
    fail(`unknown step "${step}": use test, demo or bench`);
}
