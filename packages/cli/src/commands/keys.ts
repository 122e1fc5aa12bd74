import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { keyId } from '@insights/policy';
import { writeNodeCredentials } from '@insights/node';
import { createMeshNatsAuth } from '@insights/registry';
import { InsightsError } from '@insights/sdk';

const list = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * `insights keys node`: the node's key (kept when the folder has one) and the mesh's certificate
 * for it, in the node's data folder (where it looks by default) or any folder named in its config.
 */
export async function runKeysNode(opts: {
  id: string;
  key: string;
  out: string;
  meshId?: string;
  ttlDays?: string;
}): Promise<void> {
  const ttlDays = opts.ttlDays === undefined ? undefined : Number(opts.ttlDays);
  if (ttlDays !== undefined && !(ttlDays > 0))
    throw new InsightsError('INVALID_ARGUMENT', '--ttl-days must be a positive number of days', { parameter: 'ttl-days' });
  let files: ReturnType<typeof writeNodeCredentials>;
  try {
    files = writeNodeCredentials({
      meshPrivateKeyPem: await readFile(opts.key, 'utf8'),
      nodeId: opts.id,
      meshId: opts.meshId,
      dir: path.resolve(opts.out),
      ttlSeconds: ttlDays === undefined ? undefined : Math.round(ttlDays * 86_400),
    });
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `insights keys node: ${(e as Error).message}`, { parameter: 'id', cause: e });
  }
  process.stdout.write(
    `node ${opts.id}: key ${keyId(files.publicKeyPem)}\n  ${files.keyFile}  private: stays on the node\n  ${files.certificateFile}  signed by the mesh key${opts.meshId === undefined ? '' : ` for mesh ${opts.meshId}`}\n` +
      `clients with connect({ trustedKeys: [mesh.pub] }) now believe this node's registry entry\n`,
  );
}

/**
 * `insights keys nats`: the NATS users of a mesh (a user per role and per named node) as a server
 * config block and one NKey seed file per user. deploy/SECURITY.md explains where each goes.
 */
export async function runKeysNats(opts: { out: string; nodes?: string; bucket?: string }): Promise<void> {
  const dir = path.resolve(opts.out);
  const auth = createMeshNatsAuth({ nodeIds: list(opts.nodes), ...(opts.bucket === undefined ? {} : { bucket: opts.bucket }) });
  const seeds = auth.writeSeedFiles(dir);
  const conf = path.join(dir, 'accounts.conf');
  await writeFile(conf, `${auth.serverConfig}\n`, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
    throw new InsightsError('ALREADY_EXISTS', e.code === 'EEXIST' ? `${conf} exists; refusing to overwrite it` : e.message);
  });
  process.stdout.write(
    `${conf}  include it in every nats-server config (no anonymous access)\n${Object.entries(seeds)
      .map(([role, file]) => `  ${file}  seed of the ${role} user`)
      .join('\n')}\n`,
  );
}
