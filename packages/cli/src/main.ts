import { Command } from 'commander';
import { printError } from './output.ts';
import type { AuditOptions } from './commands/audit.ts';
import { withTypeScriptModules } from './typescript-modules.ts';

/**
 * Commands are imported when they run, so `insights --help` loads commander and nothing else (the
 * built CLI starts in tens of milliseconds; a command pays only for what it uses).
 */
const lazy =
  <A extends unknown[]>(load: () => Promise<(...args: A) => Promise<void>>) =>
  async (...args: A): Promise<void> =>
    (await load())(...args);

/** The same for commands that load modules: the command's own code first, then tsx for the modules' TypeScript. */
const lazyWithModules =
  <A extends unknown[]>(load: () => Promise<(...args: A) => Promise<void>>) =>
  async (...args: A): Promise<void> => {
    const action = await load();
    await withTypeScriptModules(action)(...args);
  };

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Where a command that calls nodes finds the mesh, and the capability it presents (nodes-option.ts). */
const meshFlags = (cmd: Command): Command =>
  cmd
    .option('-n, --node <host:port>', 'node gRPC address (repeatable; default $INSIGHTS_NODES)', collect)
    .option('--nats <url>', 'discover nodes from the NATS registry (default $NATS_URL)')
    .option('--capability <token>', 'capability every call carries (default $INSIGHTS_CAPABILITY)')
    .option('--capability-file <file>', 'read the capability from this file');

const program = new Command()
  .name('insights')
  .description('Insights mesh: pluggable learning analytics on a distributed RPC mesh')
  .showHelpAfterError();

program
  .command('node')
  .description('start an analytics node; prints one JSON line with its addresses when ready')
  .option('-c, --config <file>', 'node configuration (JSON)')
  .option('-m, --module <path>', 'load a module folder or file (repeatable)', collect)
  .option('-l, --label <label>', 'subsystem label, e.g. lms (repeatable)', collect)
  .option('--id <id>', 'node id')
  .option('--grpc <[host:]port>', 'gRPC listen address (port 0: any free port)')
  .option('--http <[host:]port>', 'HTTP listen address (port 0: any free port)')
  .option('--data-dir <dir>', 'where module databases and files live')
  .option('--nats <url>', 'advertise in the NATS registry at this URL (default $NATS_URL)')
  .option('--ttl <ms>', 'registry TTL: a node silent this long is gone')
  .option('--isolation <level>', 'default isolation of modules: process, worker or inline')
  .action(lazyWithModules(async () => (await import('./commands/node.ts')).runNode));

program
  .command('dev')
  .description('run a node with one module, reload it when its files change, print calls and errors as they happen')
  .argument('<module>', 'module folder or file')
  .option('--grpc <[host:]port>', 'gRPC listen address (default: any free port)')
  .option('--http <[host:]port>', 'HTTP listen address (default: any free port)')
  .option('--data-dir <dir>', 'where the module keeps its data (default .data/dev/<module>)')
  .option('--nats <url>', 'use this NATS for the registry and JetStream events (default $NATS_URL; without: direct delivery)')
  .option('--isolation <level>', 'worker (default) or process')
  .action(lazyWithModules(async () => (await import('./commands/dev.ts')).runDev));

meshFlags(
  program
    .command('call')
    .description('call an analytic: insights call query.<name> --<param> <value> ...')
    .argument('<analytic>', 'query.<name> or view.<name> (names may be <module>.<name>)')
    .argument('[params...]', 'parameters as --name value'),
)
  .option('--args <json>', 'all parameters as one JSON object')
  .option('--timeout <ms>', 'deadline in milliseconds')
  .option('--csv', 'print query results and tables as CSV')
  .option('-o, --out <file>', 'write a view to a file (required for PNG views)')
  .allowUnknownOption()
  .allowExcessArguments()
  .action(lazy(async () => (await import('./commands/call.ts')).runCall));

meshFlags(program.command('ls').description('list the nodes and analytics of the mesh'))
  .option('--json', 'machine-readable output')
  .action(lazy(async () => (await import('./commands/ls.ts')).runLs));

program
  .command('new')
  .description('scaffold a module with a passing test')
  .argument('<name>', 'module name (lower-case)')
  .option('--dir <dir>', 'parent folder', 'modules')
  .action(lazy(async () => (await import('./commands/new.ts')).runNew));

program
  .command('keygen')
  .description('create a mesh signing key pair for capabilities')
  .option('--out <dir>', 'folder for mesh.key and mesh.pub', '.')
  .action(lazy(async () => (await import('./commands/token.ts')).runKeygen));

program
  .command('token')
  .description('mint a capability (signed, expiring) from a policy file and a context')
  .requiredOption('--policy <file>', 'policy JSON: { "default": "allow"|"deny", "rules": [...] }')
  .option('--context <json>', 'values locked parameters take, e.g. {"course":"..."}')
  .requiredOption('--key <file>', 'the mesh private key (from insights keygen)')
  .option('--ttl <seconds>', 'lifetime', '3600')
  .option('--subject <name>', 'who it is for (nodes log it)')
  .option('--mesh-id <id>', 'bind it to this mesh: nodes of another mesh refuse it')
  .option('--audience <ids>', 'bind it to these node ids (comma-separated): any other node refuses it')
  .action(lazy(async () => (await import('./commands/token.ts')).runToken));

program
  .command('capability')
  .description('manage capabilities')
  .command('revoke')
  .description('revoke a capability before it expires, by its id (nodes refuse it at once)')
  .argument('<id>', "the capability's id (printed by insights token), or the capability itself")
  .option('--nats <url>', 'NATS server (default $NATS_URL)')
  .option('--reason <text>', 'why (stored with the revocation)')
  .option('--expires <time>', 'when the capability expires anyway (ISO 8601; read from a capability): the entry is swept then')
  .action(async (id: string, opts: { nats?: string; reason?: string; expires?: string }) =>
    (await import('./commands/capability.ts')).runCapabilityRevoke(id, opts),
  );

program
  .command('audit')
  .description('who read what, when, through what: the audit trail, filtered')
  .option('--nats <url>', 'NATS server (default $NATS_URL)')
  .option('--stream <name>', 'audit stream (default INSIGHTS_AUDIT)')
  .option('--user <subject-or-id>', 'calls by this capability subject (e.g. a dashboard user) or capability id')
  .option('--learner <id>', 'calls whose arguments mention this learner id')
  .option('--analytic <glob>', 'calls of these analytics, e.g. examples.*')
  .option('--trace <id>', 'one call tree: every record of it, on every node (the trace id of any of its records)')
  .option('--since <time>', 'from this time (ISO 8601)')
  .option('--until <time>', 'up to this time (ISO 8601)')
  .option('--json', 'one JSON record per line')
  .action(async (opts: AuditOptions) => (await import('./commands/audit.ts')).runAudit(opts));

const keys = program.command('keys').description('node keys certified by the mesh key, and NATS users');
keys
  .command('node')
  .description("create a node's key (or keep the one in --out) and sign it with the mesh key")
  .requiredOption('--id <id>', 'the node id the certificate is for')
  .requiredOption('--key <file>', 'the mesh private key (from insights keygen)')
  .requiredOption('--out <dir>', "where node-key.pem and node.cert go (the node's data folder)")
  .option('--mesh-id <id>', 'the mesh id (identity.meshId of the nodes)')
  .option('--ttl-days <days>', 'lifetime of the certificate (default 365)')
  // Loaded when used: it pulls in the node package, which other commands do not need.
  .action(async (opts) => (await import('./commands/keys.ts')).runKeysNode(opts));
keys
  .command('nats')
  .description('create the NATS users of a mesh: accounts.conf for the servers and one NKey seed per role')
  .requiredOption('--out <dir>', 'folder for accounts.conf and the seed files')
  .option('--nodes <ids>', 'also one user per node id (comma-separated), allowed to write only its own registry keys')
  .option('--bucket <name>', 'registry bucket (default insights-registry)')
  .action(async (opts) => (await import('./commands/keys.ts')).runKeysNats(opts));

const events = program.command('events').description('send events into the mesh and manage dead letters');

events
  .command('import')
  .description('import a tracking log (.log, .gz, JSON lines, Tutor format; - for stdin) with a progress bar and a summary')
  .argument('<file>', 'log file, or - for standard input')
  .option('-n, --node <host:port>', 'node to import into (repeatable; default: any serving node of the mesh)', collect)
  .option('--nats <url>', 'find a node in the NATS registry (default $NATS_URL)')
  .option('--batch <n>', 'events per chunk', '1000')
  .option('--token <token>', 'ingest token (default $INSIGHTS_INGEST_TOKEN)')
  .option('-q, --quiet', 'no progress bar')
  .action(lazy(async () => (await import('./commands/events-import.ts')).runEventsImport));

events
  .command('dlq')
  .description('list dead-lettered events, or re-drive them to their handler')
  .option('--nats <url>', 'NATS server (default $NATS_URL)')
  .option('--handler <module.handler>', 'only this handler')
  .option('--redrive', 'send them back to their handler')
  .option('--json', 'machine-readable output')
  .action(lazy(async () => (await import('./commands/events-dlq.ts')).runEventsDlq));

const dashboard = program
  .command('dashboard')
  .description('serve the web dashboard over the whole mesh; prints one JSON line with its URL when ready')
  .option('-c, --config <file>', 'dashboard configuration (JSON): mesh, signing key, auth, roles, embeds')
  .option('--nats <url>', 'NATS registry to follow (default $NATS_URL)')
  .option('-n, --node <host:port>', 'node gRPC address (repeatable)', collect)
  .option('--key <file>', 'mesh signing key (from insights keygen)')
  .option('--host <host>', 'listen address (default 127.0.0.1)')
  .option('--port <port>', 'listen port (default 8080; 0: any free port)')
  .action(lazy(async () => (await import('./commands/dashboard.ts')).runDashboard));
dashboard
  .command('hash-password')
  .description('read a password on stdin; print its scrypt hash for the users file')
  .action(lazy(async () => (await import('./commands/dashboard.ts')).runHashPassword));
dashboard
  .command('embed')
  .description('print a signed, expiring URL of one view with fixed parameters (for an iframe in the LMS)')
  .requiredOption('--view <module.name>', "the view (with the dashboard's --config)")
  .option('--args <json>', 'its parameters, fixed in the URL')
  .option('--user <name>', 'act as this user of the users file (role and context)')
  .option('--role <role>', 'or act as this role...')
  .option('--context <json>', '...with this context, e.g. {"course":"C1"}')
  .option('--ttl <seconds>', 'lifetime (default 1 hour; at most embed.maxTtlSeconds)')
  .action(async (_opts, cmd: Command) => (await import('./commands/dashboard.ts')).runEmbed(cmd.optsWithGlobals()));

program
  .command('cluster')
  .description('local clusters for development and fault tests')
  .command('up')
  .description('run the deploy/ topology on loopback: 3 clustered NATS servers, lms/forums/wiki nodes, a replica, the dashboard')
  .option('--dir <dir>', 'keep NATS stores, node data and generated configs here (default: a temporary folder)')
  .option('--isolation <level>', 'where modules run: inline (default), worker or process')
  .option('--replica-of <subsystem>', 'the subsystem that gets a second node', 'lms')
  .option('--no-dashboard', 'do not start the dashboard')
  .action(lazyWithModules(async () => (await import('./commands/cluster.ts')).runClusterUp));

program.parseAsync(process.argv).catch((e: unknown) => {
  printError(e);
  process.exitCode = 1;
});
