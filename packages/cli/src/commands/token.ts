import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeCapability, generateMeshKeys, mintCapability, parsePolicy, policyContextSchema } from '@insights/policy';
import { InsightsError } from '@insights/sdk';

/** `insights keygen`: a new mesh signing key pair (mesh.key stays secret; mesh.pub goes to nodes). */
export async function runKeygen(opts: { out?: string }): Promise<void> {
  const dir = path.resolve(opts.out ?? '.');
  const keys = generateMeshKeys();
  const priv = path.join(dir, 'mesh.key');
  const pub = path.join(dir, 'mesh.pub');
  await writeFile(priv, keys.privateKeyPem, { flag: 'wx', mode: 0o600 }).catch((e: NodeJS.ErrnoException) => {
    throw new InsightsError(
      'ALREADY_EXISTS',
      e.code === 'EEXIST' ? `${priv} exists; refusing to overwrite a signing key` : e.message,
    );
  });
  await chmod(priv, 0o600);
  await writeFile(pub, keys.publicKeyPem);
  process.stdout.write(
    `key id ${keys.kid}\n  ${priv}  private: keep it with whoever mints capabilities (dashboard, admins)\n  ${pub}  public: list it in each node's capabilities.trustedKeys\n`,
  );
}

/** `insights token`: mints a capability from a policy file and a context, for dashboards and scripts. */
export async function runToken(opts: {
  policy: string;
  context?: string;
  key: string;
  ttl?: string;
  subject?: string;
  meshId?: string;
  audience?: string;
}): Promise<void> {
  const policy = parsePolicy(JSON.parse(await readFile(opts.policy, 'utf8')) as unknown);
  let context: unknown = {};
  try {
    context = JSON.parse(opts.context ?? '{}');
  } catch {
    throw new InsightsError('INVALID_ARGUMENT', '--context must be a JSON object, e.g. \'{"course":"MITx/6.002x/2013"}\'', {
      parameter: 'context',
    });
  }
  const ctx = policyContextSchema.safeParse(context);
  if (!ctx.success)
    throw new InsightsError('INVALID_ARGUMENT', '--context values must be strings, numbers or booleans', {
      parameter: 'context',
    });
  const ttlSeconds = Number(opts.ttl ?? 3600);
  if (!(ttlSeconds > 0))
    throw new InsightsError('INVALID_ARGUMENT', '--ttl must be a positive number of seconds', { parameter: 'ttl' });
  const token = mintCapability({
    privateKeyPem: await readFile(opts.key, 'utf8'),
    layers: [{ policy, context: ctx.data }],
    ttlSeconds,
    ...(opts.subject === undefined ? {} : { subject: opts.subject }),
    ...(opts.meshId === undefined ? {} : { meshId: opts.meshId }),
    ...(opts.audience === undefined
      ? {}
      : {
          audience: opts.audience
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }),
  });
  process.stdout.write(`${token}\n`);
  // The id names it to `insights capability revoke`; stderr keeps stdout the token alone.
  process.stderr.write(`capability id ${decodeCapability(token).jti ?? '(none)'}\n`);
}
