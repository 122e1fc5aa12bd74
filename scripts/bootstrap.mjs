#!/usr/bin/env node
// Entry point of `npm test`, `npm run demo` and `npm run bench` on a fresh clone. It uses only
// Node's standard library, because nothing else is installed yet when it starts: it checks Node,
// installs the workspace with the pinned pnpm, installs the system tools a step needs (on Debian
// or Ubuntu, through apt-get), then runs the step.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, mkdirSync } from 'node:fs';
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

/** Installs the workspace when node_modules is missing or older than the lockfile. */
function ensureWorkspace() {
  const marker = path.join(ROOT, 'node_modules', '.modules.yaml');
  const lock = path.join(ROOT, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say(`installing dependencies with ${PNPM} (first run only)...`);
  const [cmd, pre] = pnpmCommand();
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  if (run(cmd, [...pre, 'install', ...frozen]) !== 0) fail('dependency install failed; see the output above.');
}

/** Installs a Debian package when its command is missing (Debian/Ubuntu only), or explains how. */
function ensureSystemTool(command, debianPackage, why, { optional = false } = {}) {
  if (has(command)) return true;
  const isDebian = existsSync('/etc/debian_version') && has('apt-get');
  if (!isDebian) {
    const msg = `${command} is not installed (${why}). Install the ${debianPackage} package for your system and run this again.`;
    if (optional) {
      say(`${msg} Skipping what needs it.`);
      return false;
    }
    fail(msg);
  }
  say(`${command} is missing (${why}); installing the Debian package ${debianPackage} with apt-get...`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) =>
    sudo.length ? run('sudo', ['apt-get', ...args], { env: aptEnv }) : run('apt-get', args, { env: aptEnv });
  if (apt(['install', '-y', '--no-install-recommends', debianPackage]) !== 0) {
    apt(['update']);
    if (apt(['install', '-y', '--no-install-recommends', debianPackage]) !== 0) {
      if (optional) {
        say(`could not install ${debianPackage}; skipping what needs it.`);
        return false;
      }
      fail(`could not install ${debianPackage}; install it by hand and run this again.`);
    }
  }
  return has(command);
}

/**
 * The NATS server the project is tested and shipped with. Debian's package is 2.9 (2022); the
 * Go module proxy has current releases, so with Go present the bootstrap builds this version into
 * a project-local folder once (about a minute) and puts it first on PATH for the step.
 */
const NATS_SERVER_VERSION = 'v2.14.10';
const TOOLS_BIN = path.join(ROOT, '.tools', 'bin');

function goCommand() {
  if (has('go')) return 'go';
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

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

switch (step) {
  case 'test': {
    ensureNatsServer();
    ensureSystemTool('chromium', 'chromium', 'the dashboard tests drive a real browser', { optional: true });
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
    process.exit(tsx(path.join(ROOT, 'scripts', 'demo.ts'), rest));
  case 'bench':
    ensureNatsServer();
    process.exit(tsx(path.join(ROOT, 'bench', 'run.ts'), rest));
  default:
    fail(`unknown step "${step}": use test, demo or bench`);
}
