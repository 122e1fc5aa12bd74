import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyEnvOverrides, ConfigError, loadNodeConfigFile, parseNodeConfig, renderConfigReference } from '@insights/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { REPO_ROOT, tempDir } from '../support/tmp.ts';

const DEPLOY = path.join(REPO_ROOT, 'deploy');

const rejects = (fn: () => unknown): { key: string; reason: string } => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return { key: (e as ConfigError).key, reason: (e as ConfigError).reason };
  }
  throw new Error('expected a ConfigError');
};

describe('ops - node configuration', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(() => tmp.remove());

  it('config - a bad value, an unknown key and an inconsistent TLS block are refused naming the key', () => {
    expect(rejects(() => parseNodeConfig({ grpc: { port: 70_000 } }))).toMatchObject({ key: 'grpc.port' });
    expect(rejects(() => parseNodeConfig({ registry: { replicas: 7 } }))).toMatchObject({ key: 'registry.replicas' });
    expect(rejects(() => parseNodeConfig({ tracing: { otlpUrl: 'not a url' } }))).toMatchObject({ key: 'tracing.otlpUrl' });
    expect(rejects(() => parseNodeConfig({ tls: { certFile: 'a.pem' } }))).toMatchObject({ key: 'tls.keyFile' });
    expect(rejects(() => parseNodeConfig({ events: { replicaz: 3 } }))).toEqual({
      key: 'events.replicaz',
      reason: 'unknown setting',
    });
    expect(rejects(() => parseNodeConfig({ tls: { certFile: 'a.pem', keyFile: 'a.key', requireClientCert: true } }))).toEqual({
      key: 'tls.caFile',
      reason: 'requireClientCert needs the authority that signs client certificates',
    });
  });

  it('config - environment variables override the file; a malformed one names the setting and the variable', () => {
    const out = applyEnvOverrides(
      { nats: { servers: 'nats://a:4222', credsFile: '/etc/insights/node.creds' }, grpc: { host: '0.0.0.0', port: 1 } },
      {
        INSIGHTS_NATS_URL: 'nats://n1:4222,nats://n2:4222,nats://n3:4222',
        INSIGHTS_GRPC_PORT: '50051',
        INSIGHTS_HTTP_PORT: '8080',
        INSIGHTS_DATA_DIR: '/var/lib/insights',
        INSIGHTS_LOG_LEVEL: 'debug',
        INSIGHTS_MONGODB_URL: 'mongodb://m1,m2,m3/?replicaSet=rs0',
        INSIGHTS_TLS_CERT: '/etc/insights/tls/node.pem',
        INSIGHTS_TLS_KEY: '/etc/insights/tls/node.key',
        INSIGHTS_TLS_REQUIRE_CLIENT_CERT: 'false',
        INSIGHTS_INGEST_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb',
      },
    );
    const c = parseNodeConfig(out, '/srv');
    expect(c.nats).toEqual({
      servers: ['nats://n1:4222', 'nats://n2:4222', 'nats://n3:4222'],
      credsFile: '/etc/insights/node.creds',
    });
    expect(c.grpc).toEqual({ host: '0.0.0.0', port: 50051 });
    expect(c.http.port).toBe(8080);
    expect(c.dataDir).toBe('/var/lib/insights');
    expect(c.logLevel).toBe('debug');
    expect(c.db).toEqual({ kind: 'mongodb', url: 'mongodb://m1,m2,m3/?replicaSet=rs0' });
    expect(c.tls).toMatchObject({ certFile: '/etc/insights/tls/node.pem', requireClientCert: false });
    expect(c.ingest.tokens).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    expect(rejects(() => applyEnvOverrides({}, { INSIGHTS_GRPC_PORT: 'fifty' }))).toEqual({
      key: 'grpc.port',
      reason: 'INSIGHTS_GRPC_PORT="fifty" is not a whole number',
    });
    expect(rejects(() => parseNodeConfig(applyEnvOverrides({}, { INSIGHTS_LOG_LEVEL: 'loud' })))).toMatchObject({
      key: 'logLevel',
    });
    expect(rejects(() => applyEnvOverrides({}, { INSIGHTS_TLS_CA: '/ca.pem' }))).toMatchObject({ key: 'tls.caFile' });
  });

  it('config - the shipped subsystem configs are valid, and the CLI refuses a bad file at start naming the key', async () => {
    for (const subsystem of ['lms', 'forums', 'wiki']) {
      const c = loadNodeConfigFile(path.join(DEPLOY, 'config', `${subsystem}.json`));
      expect(c.labels).toContain(subsystem);
      expect(c.modules.length).toBeGreaterThan(0);
      // Under systemd (deploy/systemd delegates the node's cgroup) nothing of the sandbox is optional.
      expect(c.sandbox.require).toEqual(['kernel', 'seccomp', 'cgroups']);
    }
    const bad = path.join(tmp.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ id: 'x', grpc: { port: 'fifty' } }));
    const r = await runCli(['node', '-c', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config: grpc\.port: /);
    const viaEnv = await runCli(['node', '-c', path.join(DEPLOY, 'config', 'wiki.json')], { INSIGHTS_HTTP_PORT: '-1' });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain('config: http.port: INSIGHTS_HTTP_PORT="-1" is not a whole number');
  });

  it('config - deploy/CONFIG.md is the reference generated from the schema (regenerate: npx tsx deploy/scripts/config-reference.ts)', () => {
    expect(readFileSync(path.join(DEPLOY, 'CONFIG.md'), 'utf8')).toBe(renderConfigReference());
  });
});
