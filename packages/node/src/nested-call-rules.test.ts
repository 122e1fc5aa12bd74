import { generateMeshKeys, mintCapability, parsePolicy, type Policy } from '@insights/policy';
import { createLogger, Dispatcher, type LogRecord } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { Authorizer } from './authorizer.ts';
import type { CapabilityAuthority } from './capability-authority.ts';
import { parseNodeConfig } from './config.ts';
import { NestedCallRules } from './nested-call-rules.ts';

const keys = generateMeshKeys();
const mint = (policy: Policy, subject: string) =>
  mintCapability({
    privateKeyPem: keys.privateKeyPem,
    layers: [{ policy: parsePolicy(policy), context: {} }],
    ttlSeconds: 600,
    subject,
  });
const target = { kind: 'query' as const, module: 'grades', name: 'table', aliases: [], parameters: [] };

function rules(capabilities: Record<string, unknown>) {
  const logs: LogRecord[] = [];
  const log = createLogger((r) => logs.push(r), {}, 'debug');
  const authorizer = new Authorizer(new Dispatcher(new Map(), 1000), [keys.publicKeyPem], true, log);
  const config = parseNodeConfig({ dataDir: '/tmp/unused', capabilities: { trustedKeys: [keys.publicKeyPem], ...capabilities } });
  return { rules: new NestedCallRules(config.capabilities, authorizer, log), authorizer, logs };
}

describe('nested call rules - which authority a nested call runs with', () => {
  const node = mint({ default: 'allow' }, 'node');
  const reporter = mint({ default: 'deny', rules: [{ match: 'grades.*' }] }, 'reporter');

  it('no caller: the module own capability, else the node capability, else unchecked', () => {
    const { rules: r } = rules({ meshCapability: node, moduleCapabilities: { reports: reporter } });
    expect((r.authorityFor({ module: 'reports' }, 'grades.table') as CapabilityAuthority).capability).toBe(reporter);
    expect((r.authorityFor({ module: 'other' }, 'grades.table') as CapabilityAuthority).capability).toBe(node);
    expect(rules({}).rules.authorityFor({ module: 'other' }, 'grades.table')).toBeUndefined();
  });

  it("a caller's authority is bounded by the module's own: both tokens forwarded, both policies apply", () => {
    const { rules: r, authorizer } = rules({ moduleCapabilities: { reports: reporter } });
    const caller = authorizer.verify(mint({ default: 'allow', rules: [{ match: '*.table', effect: 'deny' }] }, 'prof'));
    const effective = r.authorityFor({ module: 'reports', authority: caller }, 'grades.table') as CapabilityAuthority;
    expect(effective.capability.split(' ')).toHaveLength(2);
    expect(() => effective.authorize(target, {})).toThrow(/not allowed/);
    // The module's own capability alone allows it: the caller's layer is what denies.
    expect(r.moduleAuthority('reports')?.authorize(target, {})).toEqual({});
  });

  it('elevate: a listed module calls listed analytics on its own authority, and it is logged', () => {
    const { rules: r, authorizer, logs } = rules({ meshCapability: node, elevate: { reports: ['grades.*'] } });
    const caller = authorizer.verify(mint({ default: 'deny' }, 'prof'));
    expect((r.authorityFor({ module: 'reports', authority: caller }, 'grades.table') as CapabilityAuthority).capability).toBe(
      node,
    );
    expect(logs.some((l) => l.msg.includes('elevate') && l.module === 'reports' && l.analytic === 'grades.table')).toBe(true);
    // Not listed: the caller's authority.
    expect(r.authorityFor({ module: 'reports', authority: caller }, 'admin.users')).not.toBe(r.moduleAuthority('reports'));
    expect(r.authorityFor({ module: 'other', authority: caller }, 'grades.table')).not.toBe(r.moduleAuthority('other'));
  });

  it('a module capability the node cannot verify stops the node, naming the setting', () => {
    const foreign = mintCapability({
      privateKeyPem: generateMeshKeys().privateKeyPem,
      layers: [{ policy: parsePolicy({ default: 'allow' }), context: {} }],
      ttlSeconds: 60,
    });
    expect(() => rules({ moduleCapabilities: { reports: foreign } })).toThrow(
      /capabilities\.moduleCapabilities\.reports: .*does not trust/,
    );
  });
});
