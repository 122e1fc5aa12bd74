import { createRequire as __insightsCreateRequire } from 'node:module'; const require = __insightsCreateRequire(import.meta.url);

// ../../../sdk/src/index.ts
import { z } from "file:///work/main/node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.js";

// ../../../sdk/src/module.ts
var SDK_CONTRACT_VERSION = 1;
function isModuleDefinition(v) {
  return typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.sdkContract === "number" && typeof v.queries === "object";
}

// ../../../sdk/src/view-result.ts
function isViewResult(v) {
  if (typeof v !== "object" || v === null) return false;
  const t = v.type;
  return t === "html" || t === "svg" || t === "png" || t === "table" || t === "vega-lite";
}

// ../../../sdk/src/errors.ts
var ERROR_CODES = {
  CANCELLED: { grpc: 1, http: 499 },
  INVALID_ARGUMENT: { grpc: 3, http: 400 },
  DEADLINE_EXCEEDED: { grpc: 4, http: 504 },
  NOT_FOUND: { grpc: 5, http: 404 },
  ALREADY_EXISTS: { grpc: 6, http: 409 },
  PERMISSION_DENIED: { grpc: 7, http: 403 },
  RESOURCE_EXHAUSTED: { grpc: 8, http: 429 },
  FAILED_PRECONDITION: { grpc: 9, http: 412 },
  UNIMPLEMENTED: { grpc: 12, http: 501 },
  INTERNAL: { grpc: 13, http: 500 },
  UNAVAILABLE: { grpc: 14, http: 503 },
  UNAUTHENTICATED: { grpc: 16, http: 401 }
};
var MODULE_THROWABLE_CODES = /* @__PURE__ */ new Set([
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "FAILED_PRECONDITION",
  "PERMISSION_DENIED",
  "ALREADY_EXISTS"
]);
var InsightsError = class _InsightsError extends Error {
  name = "InsightsError";
  code;
  parameter;
  suggestions;
  analytic;
  constructor(code, message, fields = {}) {
    super(message, fields.cause === void 0 ? void 0 : { cause: fields.cause });
    this.code = code;
    this.parameter = fields.parameter;
    this.suggestions = fields.suggestions ?? [];
    this.analytic = fields.analytic;
  }
  /** Plain, cloneable form for crossing process and wire boundaries. */
  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...this.parameter === void 0 ? {} : { parameter: this.parameter },
      ...this.suggestions.length === 0 ? {} : { suggestions: [...this.suggestions] },
      ...this.analytic === void 0 ? {} : { analytic: this.analytic }
    };
  }
  static fromJSON(e) {
    return new _InsightsError(isErrorCode(e.code) ? e.code : "INTERNAL", e.message, e);
  }
};
function isErrorCode(code) {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}
function isInsightsError(e) {
  return typeof e === "object" && e !== null && e.name === "InsightsError" && isErrorCode(e.code);
}

// ../loader.ts
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
var ModuleLoadError = class extends Error {
  constructor(spec, message, options) {
    super(`module ${spec}: ${message}`, options);
    this.spec = spec;
  }
  spec;
  name = "ModuleLoadError";
  code = "MODULE_LOAD_FAILED";
};
var ENTRY_CANDIDATES = ["src/index.ts", "index.ts", "src/index.js", "index.js", "index.mjs"];
function resolveModuleEntry(spec, baseDir = process.cwd()) {
  const full = path.resolve(baseDir, spec);
  if (!existsSync(full)) throw new ModuleLoadError(spec, `no such file or folder: ${full}`);
  if (statSync(full).isFile()) return full;
  const pkgFile = path.join(full, "package.json");
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    const exp = typeof pkg.exports === "string" ? pkg.exports : pkg.exports?.["."];
    const main = typeof exp === "string" ? exp : pkg.main;
    if (main !== void 0 && existsSync(path.join(full, main))) return path.join(full, main);
  }
  for (const c of ENTRY_CANDIDATES) if (existsSync(path.join(full, c))) return path.join(full, c);
  throw new ModuleLoadError(spec, `no entry file in ${full} (looked for package.json main, ${ENTRY_CANDIDATES.join(", ")})`);
}
async function loadModuleDefinition(spec, baseDir) {
  const entry = resolveModuleEntry(spec, baseDir);
  let ns;
  try {
    ns = await import(pathToFileURL(entry).href);
  } catch (e) {
    throw new ModuleLoadError(spec, `failed to import ${entry}: ${e.message}`, { cause: e });
  }
  const def = ns.default;
  if (!isModuleDefinition(def))
    throw new ModuleLoadError(spec, `${entry} must \`export default defineModule({...})\` from @insights/sdk`);
  if (def.sdkContract !== SDK_CONTRACT_VERSION)
    throw new ModuleLoadError(
      spec,
      `built for SDK contract ${def.sdkContract}, this node speaks ${SDK_CONTRACT_VERSION}; rebuild it against the current @insights/sdk`
    );
  return def;
}

// ../module-runtime.ts
import path4 from "node:path";

// ../../../sdk/src/mesh-proxy.ts
function createMeshProxy(invoker) {
  const section = (kind) => new Proxy({}, {
    get(_t, prop) {
      if (typeof prop !== "string" || prop === "then") return void 0;
      return (args = {}, options = {}) => invoker.invoke(kind, prop, args, options);
    },
    ownKeys: () => invoker.names(kind),
    getOwnPropertyDescriptor: (_t, prop) => typeof prop === "string" && invoker.names(kind).includes(prop) ? { enumerable: true, configurable: true, writable: false, value: void 0 } : void 0,
    has: (_t, prop) => typeof prop === "string" && invoker.names(kind).includes(prop)
  });
  return { query: section("query"), view: section("view") };
}

// ../../../sdk/src/canonical-json.ts
function canonicalJson(value) {
  return JSON.stringify(sortKeys(value)) ?? "null";
}
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Date) return v.toISOString();
  const out2 = {};
  for (const k of Object.keys(v).sort()) {
    const x = v[k];
    if (x !== void 0) out2[k] = sortKeys(x);
  }
  return out2;
}

// ../deadline.ts
function deadlineSignal(deadline, parent) {
  const controller = new AbortController();
  const ms = deadline - Date.now();
  const onParent = () => controller.abort(cancelledReason(parent?.reason));
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  let timer;
  if (!controller.signal.aborted) {
    if (ms <= 0) controller.abort(deadlineExceeded());
    else timer = setTimeout(() => controller.abort(deadlineExceeded()), ms);
  }
  return {
    signal: controller.signal,
    dispose() {
      if (timer !== void 0) clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    }
  };
}
function deadlineExceeded(message = "deadline exceeded") {
  return new InsightsError("DEADLINE_EXCEEDED", message);
}
function cancelledReason(reason) {
  if (reason instanceof InsightsError) return reason;
  return new InsightsError("CANCELLED", "call cancelled by the caller");
}
function raceSignal(work, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      }
    );
  });
}
function minDeadline(a, b) {
  if (a === void 0) return b;
  if (b === void 0) return a;
  return Math.min(a, b);
}

// ../params.ts
function compileParams(analytic, shape) {
  const schema = z.strictObject(shape);
  const jsonSchema = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  delete jsonSchema.$schema;
  return {
    jsonSchema,
    parse(args) {
      if (args === null || args === void 0) args = {};
      if (typeof args !== "object" || Array.isArray(args))
        throw new InsightsError("INVALID_ARGUMENT", `${analytic}: arguments must be a JSON object of named parameters`, {
          analytic
        });
      const r = schema.safeParse(args);
      if (r.success) return r.data;
      throw toInvalidArgument(analytic, r.error, Object.keys(shape), args);
    }
  };
}
function toInvalidArgument(analytic, error, known, args) {
  const issue = error.issues[0];
  if (issue === void 0) return new InsightsError("INVALID_ARGUMENT", `${analytic}: invalid arguments`, { analytic });
  if (issue.code === "unrecognized_keys") {
    const name = issue.keys[0] ?? "?";
    const expected = known.length === 0 ? "it takes no parameters" : `its parameters are: ${known.join(", ")}`;
    return new InsightsError("INVALID_ARGUMENT", `${analytic}: unknown parameter "${name}"; ${expected}`, {
      parameter: name,
      analytic
    });
  }
  const parameter = issue.path.map(String).join(".") || "(arguments)";
  const missing = issue.code === "invalid_type" && valueAt(args, issue.path) === void 0;
  const what = missing ? `missing required parameter` : issue.message;
  return new InsightsError("INVALID_ARGUMENT", `${analytic}: parameter "${parameter}": ${what}`, { parameter, analytic });
}
function valueAt(v, path9) {
  let cur = v;
  for (const k of path9) {
    if (cur === null || typeof cur !== "object") return void 0;
    cur = cur[k];
  }
  return cur;
}

// ../manifest.ts
var NO_PARAMS = { type: "object", properties: {}, additionalProperties: false };
function buildManifest(def) {
  const analytics = [];
  const params = /* @__PURE__ */ new Map();
  const callable = [
    ["query", def.queries],
    ["view", def.views]
  ];
  for (const [kind, entries] of callable)
    for (const [name, a] of Object.entries(entries)) {
      const compiled = compileParams(`${def.name}.${name}`, a.params);
      params.set(`${kind}:${name}`, compiled);
      analytics.push({
        kind,
        name,
        aliases: a.aliases ?? [],
        description: a.description ?? "",
        paramsSchema: compiled.jsonSchema,
        idempotent: a.idempotent ?? true,
        meta: a.memoize === void 0 ? {} : { memoize: a.memoize }
      });
    }
  for (const [name, h] of Object.entries(def.eventHandlers))
    analytics.push({
      kind: "event-handler",
      name,
      aliases: h.aliases ?? [],
      description: h.description ?? "",
      paramsSchema: NO_PARAMS,
      idempotent: false,
      meta: {
        types: h.filter?.types ?? [">"],
        sources: h.filter?.sources ?? [],
        mode: h.mode ?? { type: "realtime" },
        startFrom: h.startFrom ?? "beginning",
        ...h.partitionBy === void 0 ? {} : { partitionBy: h.partitionBy }
      }
    });
  for (const [key, p] of Object.entries(def.eventProperties))
    analytics.push({
      kind: "event-property",
      name: p.name ?? key,
      aliases: p.aliases ?? [],
      description: p.description ?? "",
      paramsSchema: NO_PARAMS,
      idempotent: true,
      meta: { sources: p.sources ?? [] }
    });
  for (const [name, j] of Object.entries(def.jobs))
    analytics.push({
      kind: "job",
      name,
      aliases: j.aliases ?? [],
      description: j.description ?? "",
      paramsSchema: NO_PARAMS,
      idempotent: false,
      meta: { schedule: j.schedule }
    });
  for (const [name, n] of Object.entries(def.normalisers))
    analytics.push({
      kind: "normaliser",
      name,
      aliases: n.aliases ?? [],
      description: n.description ?? "",
      paramsSchema: NO_PARAMS,
      idempotent: true,
      meta: { source: n.source }
    });
  return {
    manifest: { name: def.name, version: def.version, description: def.description ?? "", analytics },
    params
  };
}

// ../resources/cache.ts
import { LRUCache } from "file:///work/main/node_modules/.pnpm/lru-cache@11.5.3/node_modules/lru-cache/dist/esm/node/index.min.js";
var DEFAULT_CACHE_LIMITS = { maxEntries: 1e4, defaultTtlSeconds: 300 };
var MEMO_SEPARATOR = "\0";
var LruModuleCache = class {
  #lru;
  #inFlight = /* @__PURE__ */ new Map();
  constructor(limits = DEFAULT_CACHE_LIMITS) {
    this.#lru = new LRUCache({ max: limits.maxEntries, ttl: limits.defaultTtlSeconds * 1e3 });
  }
  get(key) {
    return this.#lru.get(key)?.v;
  }
  has(key) {
    return this.#lru.has(key);
  }
  set(key, value, options = {}) {
    this.#lru.set(key, { v: value }, options.ttlSeconds === void 0 ? {} : { ttl: options.ttlSeconds * 1e3 });
  }
  delete(key) {
    return this.#lru.delete(key);
  }
  clear() {
    this.#lru.clear();
  }
  async memoize(name, args, compute, options) {
    const key = memoKey(name, args);
    const hit = this.#lru.get(key);
    if (hit !== void 0) return hit.v;
    return this.#compute(key, compute, options);
  }
  async refresh(name, args, compute, options) {
    return this.#compute(memoKey(name, args), compute, options, true);
  }
  invalidate(name, args) {
    if (args !== void 0) {
      this.#lru.delete(memoKey(name, args));
      return;
    }
    const prefix = `${name}${MEMO_SEPARATOR}`;
    for (const key of [...this.#lru.keys()]) if (key.startsWith(prefix)) this.#lru.delete(key);
  }
  #compute(key, compute, options, force = false) {
    const pending = this.#inFlight.get(key);
    if (pending !== void 0 && !force) return pending;
    const p = Promise.resolve().then(compute).then((value) => {
      this.set(key, value, options);
      return value;
    }).finally(() => {
      if (this.#inFlight.get(key) === p) this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, p);
    return p;
  }
};
function memoKey(name, args) {
  return `${name}${MEMO_SEPARATOR}${canonicalJson(args)}`;
}

// ../resources/files.ts
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path3 from "node:path";

// ../resources/safe-path.ts
import path2 from "node:path";
function resolveInside(root, name) {
  if (typeof name !== "string" || name.length === 0 || name.length > 1024 || name.includes("\0"))
    throw new InsightsError("INVALID_ARGUMENT", `file name must be 1 to 1024 characters without NUL: ${JSON.stringify(name)}`, {
      parameter: "name"
    });
  const full = path2.resolve(root, name);
  const rel = path2.relative(root, full);
  if (rel === "" || rel.startsWith("..") || path2.isAbsolute(rel) || rel.split(path2.sep)[0] === RESERVED_DIR)
    throw new InsightsError("PERMISSION_DENIED", `file name "${name}" is outside the module's folder`, {
      parameter: "name"
    });
  return full;
}
var RESERVED_DIR = ".insights";

// ../resources/files.ts
var EXPIRY_FILE = "expiry.json";
var DEFAULT_URL_TTL_SECONDS = 3600;
var DiskModuleFiles = class {
  #root;
  #module;
  #makeUrl;
  #expiry;
  #expiryWrite = Promise.resolve();
  constructor(module, root, makeUrl) {
    this.#module = module;
    this.#root = root;
    this.#makeUrl = makeUrl;
  }
  get root() {
    return this.#root;
  }
  async write(name, data) {
    const full = resolveInside(this.#root, name);
    await mkdir(path3.dirname(full), { recursive: true });
    const tmp = `${full}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, full);
    const expiry = await this.#expiryTable();
    if (expiry.delete(name)) await this.#saveExpiry();
  }
  async read(name) {
    const full = resolveInside(this.#root, name);
    if (await this.#isExpired(name)) throw notFound2(this.#module, name);
    try {
      return await readFile(full);
    } catch (e) {
      if (e.code === "ENOENT" || e.code === "EISDIR")
        throw notFound2(this.#module, name);
      throw e;
    }
  }
  async readText(name) {
    return new TextDecoder().decode(await this.read(name));
  }
  async exists(name) {
    const full = resolveInside(this.#root, name);
    if (await this.#isExpired(name)) return false;
    return stat(full).then(
      (s) => s.isFile(),
      () => false
    );
  }
  async list(prefix = "") {
    const out2 = [];
    const walk = async (dir, rel) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const r = rel === "" ? e.name : `${rel}/${e.name}`;
        if (rel === "" && e.name === RESERVED_DIR) continue;
        if (e.isDirectory()) await walk(path3.join(dir, e.name), r);
        else if (e.isFile() && !e.name.endsWith(".tmp") && r.startsWith(prefix) && !await this.#isExpired(r)) out2.push(r);
      }
    };
    await walk(this.#root, "");
    return out2.sort();
  }
  async delete(name) {
    const full = resolveInside(this.#root, name);
    const existed = await stat(full).then(
      () => true,
      () => false
    );
    await rm(full, { force: true });
    const expiry = await this.#expiryTable();
    if (expiry.delete(name)) await this.#saveExpiry();
    return existed;
  }
  async expire(name, seconds) {
    resolveInside(this.#root, name);
    if (!Number.isFinite(seconds))
      throw new InsightsError("INVALID_ARGUMENT", `expire: seconds must be a finite number, got ${seconds}`, {
        parameter: "seconds"
      });
    (await this.#expiryTable()).set(name, Date.now() + seconds * 1e3);
    await this.#saveExpiry();
  }
  async url(name, ttlSeconds = DEFAULT_URL_TTL_SECONDS) {
    resolveInside(this.#root, name);
    return this.#makeUrl(this.#module, name, ttlSeconds);
  }
  /** Deletes every expired file; returns the names deleted. */
  async sweep(nowMs = Date.now()) {
    const expiry = await this.#expiryTable();
    const due = [...expiry].filter(([, at]) => at <= nowMs).map(([n]) => n);
    for (const name of due) {
      await rm(resolveInside(this.#root, name), { force: true });
      expiry.delete(name);
    }
    if (due.length > 0) await this.#saveExpiry();
    return due;
  }
  async #isExpired(name) {
    const at = (await this.#expiryTable()).get(name);
    return at !== void 0 && at <= Date.now();
  }
  async #expiryTable() {
    if (this.#expiry === void 0) {
      const text = await readFile(path3.join(this.#root, RESERVED_DIR, EXPIRY_FILE), "utf8").catch(() => "{}");
      let parsed = {};
      try {
        parsed = JSON.parse(text);
      } catch {
      }
      this.#expiry ??= new Map(Object.entries(parsed));
    }
    return this.#expiry;
  }
  #saveExpiry() {
    this.#expiryWrite = this.#expiryWrite.then(async () => {
      const dir = path3.join(this.#root, RESERVED_DIR);
      await mkdir(dir, { recursive: true });
      const tmp = path3.join(dir, `${EXPIRY_FILE}.${process.pid}.tmp`);
      await writeFile(tmp, JSON.stringify(Object.fromEntries(this.#expiry ?? [])));
      await rename(tmp, path3.join(dir, EXPIRY_FILE));
    });
    return this.#expiryWrite;
  }
};
function notFound2(module, name) {
  return new InsightsError("NOT_FOUND", `file "${name}" not found in module ${module}`);
}

// ../events/event-id.ts
import { createHash } from "node:crypto";
function stableEventId(raw) {
  const own = raw?.id;
  if (typeof own === "string" && own.length > 0) return own;
  return createHash("sha256").update(canonicalJson(raw)).digest("hex").slice(0, 32);
}

// ../events/subject-match.ts
function typeMatches(pattern, type) {
  if (pattern === ">" || pattern === type) return true;
  const p = pattern.split(".");
  const t = type.split(".");
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === ">") return i === p.length - 1 && t.length > i;
    if (i >= t.length) return false;
    if (tok !== "*" && tok !== t[i]) return false;
  }
  return p.length === t.length;
}
function anyTypeMatches(patterns, type) {
  return patterns === void 0 || patterns.length === 0 || patterns.some((p) => typeMatches(p, type));
}

// ../events/filter.ts
function compileFilter(filter) {
  if (filter === void 0) return () => true;
  const sources = filter.sources === void 0 || filter.sources.length === 0 ? void 0 : new Set(filter.sources);
  return (e) => anyTypeMatches(filter.types, e.type) && (sources === void 0 || sources.has(e.source)) && (filter.where === void 0 || filter.where(e));
}

// ../events/once.ts
var SEEN_WINDOW = 500;
async function updateOnce(db, collection, eventId, filter, update, options = {}) {
  const c = db.collection(collection);
  const push = { _seen: { $each: [eventId], $slice: -SEEN_WINDOW } };
  const merged = { ...update, $push: { ...update.$push ?? {}, ...push } };
  const guarded = { ...filter, _seen: { $ne: eventId } };
  const r = await c.updateOne(guarded, merged);
  if (r.matchedCount > 0 || !options.upsert) return r.modifiedCount > 0;
  if (await c.findOne(filter, { projection: { _id: 1 } }) !== null) return false;
  await c.updateOne(filter, { $setOnInsert: { _seen: [] } }, { upsert: true });
  return (await c.updateOne(guarded, merged)).modifiedCount > 0;
}
async function once(db, handler, eventId, fn) {
  const seen = db.collection(`_insights_once_${handler}`);
  if (await seen.findOne({ _id: eventId }) !== null) return false;
  await fn();
  await seen.updateOne({ _id: eventId }, { $set: { at: /* @__PURE__ */ new Date() } }, { upsert: true });
  return true;
}

// ../module-runtime.ts
var ModuleRuntime = class _ModuleRuntime {
  manifest;
  files;
  cache;
  #def;
  #params;
  #db;
  #env;
  #log;
  #filters = /* @__PURE__ */ new Map();
  constructor(def, env2, db) {
    const { manifest, params } = buildManifest(def);
    this.manifest = manifest;
    this.#params = params;
    this.#def = def;
    this.#env = env2;
    this.#db = db;
    this.#log = env2.log.child({ module: def.name });
    this.files = new DiskModuleFiles(def.name, path4.join(env2.dataDir, "modules", def.name, "files"), env2.makeFileUrl);
    this.cache = new LruModuleCache(env2.cacheLimits);
  }
  static async create(def, env2) {
    return new _ModuleRuntime(def, env2, await env2.db.forModule(def.name));
  }
  async call(call, control) {
    const analytic = `${this.#def.name}.${call.name}`;
    const def = call.kind === "query" ? this.#def.queries[call.name] : this.#def.views[call.name];
    const params = this.#params.get(`${call.kind}:${call.name}`);
    if (def === void 0 || params === void 0)
      throw new InsightsError("NOT_FOUND", `module ${this.#def.name} has no ${call.kind} named "${call.name}"`, {
        analytic
      });
    const args = params.parse(call.args);
    const { signal, dispose } = deadlineSignal(call.deadline, control.signal);
    try {
      const ctx = this.#context(call.deadline, signal, control.onProgress);
      const run = async () => def.run(args, ctx);
      const work = def.memoize === void 0 ? run() : this.cache.memoize(`${call.kind}:${call.name}`, args, run, { ttlSeconds: def.memoize.ttlSeconds });
      const value = await raceSignal(work, signal);
      return call.kind === "query" ? { type: "json", value } : toViewOutcome(analytic, value);
    } catch (e) {
      throw this.#toCallError(analytic, e, signal);
    } finally {
      dispose();
    }
  }
  /** Delivers events to one handler (after its filter); resolves when the handler has finished. */
  async handleEvents(handler, events, deadline, signal) {
    const def = this.#def.eventHandlers[handler];
    if (def === void 0) throw new InsightsError("NOT_FOUND", `module ${this.#def.name} has no event handler "${handler}"`);
    let filter = this.#filters.get(handler);
    if (filter === void 0) this.#filters.set(handler, filter = compileFilter(def.filter));
    const matching = events.filter(filter);
    if (matching.length === 0) return 0;
    const scope = deadlineSignal(deadline, signal);
    const analytic = `${this.#def.name}.${handler}`;
    try {
      const base = this.#context(deadline, scope.signal, void 0);
      const env2 = this.#env;
      const db = this.#db;
      const ctx = {
        ...base,
        emit: async (e) => {
          if (env2.emit === void 0) throw new InsightsError("FAILED_PRECONDITION", "events are not wired on this host; ctx.emit is unavailable");
          const parentHops = Math.max(0, ...matching.map((m) => m.hops ?? 0));
          await env2.emit({
            // Deterministic: re-processing the same events re-emits the same ids, which dedupe.
            id: stableEventId({ from: `${this.#def.name}.${handler}`, after: matching.map((m) => m.id), type: e.type, payload: e.payload }),
            time: (/* @__PURE__ */ new Date()).toISOString(),
            source: this.#def.name,
            type: e.type,
            actor: e.actor,
            course: e.course,
            resource: e.resource,
            payload: e.payload,
            raw: e.payload,
            hops: parentHops + 1
          });
        },
        property: (e, name) => env2.property === void 0 ? Promise.resolve(this.computeProperty(name, e)) : env2.property(e, name),
        updateOnce: (collection, e, f, u, o) => updateOnce(db, collection, e.id, f, u, o),
        once: (e, fn) => once(db, handler, e.id, fn)
      };
      await raceSignal(Promise.resolve().then(() => def.handle(matching, ctx)), scope.signal);
      return matching.length;
    } catch (e) {
      throw this.#toCallError(analytic, e, scope.signal);
    } finally {
      scope.dispose();
    }
  }
  /** Runs a scheduled job once, with the same context as a query. */
  async runJob(job2, deadline, signal) {
    const def = this.#def.jobs[job2];
    if (def === void 0) throw new InsightsError("NOT_FOUND", `module ${this.#def.name} has no job "${job2}"`);
    const scope = deadlineSignal(deadline, signal);
    try {
      await raceSignal(Promise.resolve().then(() => def.run(this.#context(deadline, scope.signal, void 0))), scope.signal);
    } catch (e) {
      throw this.#toCallError(`${this.#def.name}.${job2}`, e, scope.signal);
    } finally {
      scope.dispose();
    }
  }
  /** Runs this module's data layer on raw events; `unclaimed` when none of its normalisers accepts one. */
  normalise(raws) {
    const normalisers = Object.values(this.#def.normalisers);
    return raws.map((raw) => {
      const n = normalisers.find((x) => {
        try {
          return x.accepts(raw);
        } catch {
          return false;
        }
      });
      if (n === void 0) return { type: "unclaimed" };
      try {
        const out2 = n.normalise(raw);
        return { type: "ok", envelopes: Array.isArray(out2) ? out2 : [out2] };
      } catch (e) {
        return { type: "error", message: e instanceof Error ? e.message : String(e) };
      }
    });
  }
  /** Computes one of this module's event properties; NOT_FOUND when it has none by that name for the event's source. */
  computeProperty(name, event) {
    for (const [key, p] of Object.entries(this.#def.eventProperties)) {
      if ((p.name ?? key) !== name && !(p.aliases ?? []).includes(name)) continue;
      if (p.sources !== void 0 && p.sources.length > 0 && !p.sources.includes(event.source)) continue;
      return p.compute(event);
    }
    throw new InsightsError("NOT_FOUND", `module ${this.#def.name} has no event property "${name}" for source "${event.source}"`);
  }
  #context(deadline, signal, onProgress) {
    const env2 = this.#env;
    const nested = {
      names: (kind) => env2.mesh.names(kind),
      invoke: (kind, name, args, options) => env2.mesh.invoke(kind, name, args, {
        ...options,
        deadline: minDeadline(options.deadline, deadline) ?? deadline,
        signal: options.signal === void 0 ? signal : AbortSignal.any([options.signal, signal])
      })
    };
    return {
      db: this.#db,
      fs: this.files,
      cache: this.cache,
      mesh: createMeshProxy(nested),
      log: this.#log,
      signal,
      deadline,
      module: this.#def.name,
      refresh: (name, args = {}) => this.#refreshMemoized(name, args, deadline, signal),
      progress: (fraction, message = "") => {
        if (Number.isFinite(fraction)) onProgress?.(Math.min(1, Math.max(0, fraction)), String(message));
      }
    };
  }
  async #refreshMemoized(name, args, deadline, signal) {
    const kind = name in this.#def.queries ? "query" : name in this.#def.views ? "view" : void 0;
    const def = kind === "query" ? this.#def.queries[name] : kind === "view" ? this.#def.views[name] : void 0;
    if (kind === void 0 || def === void 0 || def.memoize === void 0)
      throw new InsightsError("INVALID_ARGUMENT", `refresh: ${this.#def.name} has no memoized query or view "${name}"`, { parameter: "name" });
    const parsed = this.#params.get(`${kind}:${name}`)?.parse(args) ?? args;
    const ctx = this.#context(deadline, signal, void 0);
    return this.cache.refresh(`${kind}:${name}`, parsed, async () => def.run(parsed, ctx), { ttlSeconds: def.memoize.ttlSeconds });
  }
  #toCallError(analytic, e, signal) {
    if (signal.aborted && isInsightsError(signal.reason)) return signal.reason;
    if (isInsightsError(e)) {
      if (MODULE_THROWABLE_CODES.has(e.code) || e.code === "DEADLINE_EXCEEDED" || e.code === "CANCELLED") {
        return e.analytic === void 0 ? new InsightsError(e.code, e.message, { parameter: e.parameter, suggestions: e.suggestions, analytic }) : e;
      }
      return new InsightsError("INTERNAL", `${analytic} failed: ${e.message}`, { analytic });
    }
    const message = e instanceof Error ? e.message : String(e);
    this.#log.error("analytic threw", { analytic, error: message, stack: e instanceof Error ? e.stack : void 0 });
    return new InsightsError("INTERNAL", `${analytic} failed: ${message}`, { analytic });
  }
};
function toViewOutcome(analytic, value) {
  if (typeof value === "string") return { type: "html", html: value };
  if (isViewResult(value)) return value;
  throw new InsightsError(
    "INTERNAL",
    `${analytic} returned ${value === null ? "null" : typeof value}; a view must return a string (HTML) or html()/svg()/png()/table()/vegaLite() from @insights/sdk`,
    { analytic }
  );
}

// ../db/index.ts
import { MongoClient } from "file:///work/main/node_modules/.pnpm/mongodb@7.9.0/node_modules/mongodb/lib/index.js";

// ../db/embedded-db.ts
import { readdir as readdir3, rm as rm4, stat as stat2 } from "node:fs/promises";
import path8 from "node:path";

// ../db/errors.ts
var DB_ERROR_CODES = {
  DB_DUPLICATE_KEY: "a unique index (or _id) already holds this key; use another key or update instead",
  DB_INVALID_FILTER: "the query filter is malformed or uses an unknown operator",
  DB_INVALID_UPDATE: "the update document is malformed (operators only; replaceOne for whole documents)",
  DB_INVALID_PIPELINE: "an aggregation stage is malformed or unknown",
  DB_INVALID_DOCUMENT: "the document holds a value or field name that cannot be stored",
  DB_DOCUMENT_TOO_LARGE: "the document exceeds the 16 MiB limit",
  DB_INVALID_NAME: "a module or collection name is not allowed",
  DB_INVALID_INDEX: "the index specification is malformed or conflicts with an existing index",
  DB_INDEX_NOT_FOUND: "no index has this name",
  DB_INVALID_OPTIONS: "provider or operation options are invalid",
  DB_UNSUPPORTED: "the embedded engine does not support this; use the MongoDB backend",
  DB_CURSOR_IN_USE: "a cursor was modified or read after reading started",
  DB_CORRUPT_JOURNAL: "a journal file is damaged before its last line; restore it from a backup",
  DB_CORRUPT_SNAPSHOT: "a snapshot file is damaged; restore it from a backup",
  DB_IO_ERROR: "a disk read or write failed; the collection refuses writes until reopened",
  DB_LOCKED: "another process (or provider) has this embedded database open; close it first",
  DB_CLOSED: "the database provider was closed",
  DB_UNAVAILABLE: "the MongoDB server cannot be reached",
  DB_BACKEND_ERROR: "MongoDB rejected the operation"
};
var DbError = class extends Error {
  name = "DbError";
  code;
  namespace;
  index;
  key;
  path;
  file;
  constructor(code, message, fields = {}) {
    super(message, fields.cause === void 0 ? void 0 : { cause: fields.cause });
    this.code = code;
    this.namespace = fields.namespace;
    this.index = fields.index;
    this.key = fields.key;
    this.path = fields.path;
    this.file = fields.file;
  }
};
function isDbErrorCode(code) {
  return typeof code === "string" && Object.hasOwn(DB_ERROR_CODES, code);
}
function isDbError(err, code) {
  if (typeof err !== "object" || err === null) return false;
  const e = err;
  return e.name === "DbError" && isDbErrorCode(e.code) && (code === void 0 || e.code === code);
}
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

// ../db/codec.ts
var MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
function invalid(state, path9, what) {
  return new DbError("DB_INVALID_DOCUMENT", `Cannot store ${what} at "${path9}" in ${state.ns}.`, {
    namespace: state.ns,
    path: path9
  });
}
function normaliseValue(v, path9, state) {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (!Number.isFinite(v)) state.special = true;
      return v;
    case "object": {
      if (v === null) return null;
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) throw invalid(state, path9, "an invalid Date");
        state.special = true;
        return new Date(v.getTime());
      }
      if (Array.isArray(v)) return v.map((x, i) => x === void 0 ? null : normaliseValue(x, `${path9}.${i}`, state));
      if (ArrayBuffer.isView(v) || v instanceof Map || v instanceof Set || v instanceof RegExp) {
        throw invalid(state, path9, `a ${v.constructor.name} (use plain objects, arrays, strings, numbers, Dates)`);
      }
      return normaliseObject(v, path9, state);
    }
    default:
      throw invalid(state, path9, `a value of type ${typeof v}`);
  }
}
function normaliseObject(obj, path9, state) {
  const out2 = {};
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === void 0) continue;
    const p = path9 === "" ? key : `${path9}.${key}`;
    if (key.startsWith("$")) throw invalid(state, p, 'a field name starting with "$"');
    out2[key] = normaliseValue(value, p, state);
  }
  return out2;
}
function replacer(key, value) {
  const raw = this[key];
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (typeof value === "number" && !Number.isFinite(value)) return { $numberDouble: String(value) };
  return value;
}
function encodeDocument(doc, ns) {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc) || doc instanceof Date) {
    throw new DbError("DB_INVALID_DOCUMENT", `A document must be a plain object (writing to ${ns}).`, { namespace: ns });
  }
  const state = { special: false, ns };
  const stored = normaliseObject(doc, "", state);
  const json = state.special ? JSON.stringify(stored, replacer) : JSON.stringify(stored);
  if (json.length > MAX_DOCUMENT_BYTES) {
    throw new DbError("DB_DOCUMENT_TOO_LARGE", `Document with _id ${keyText(stored["_id"])} in ${ns} is over 16 MiB.`, {
      namespace: ns,
      key: stored["_id"]
    });
  }
  return { doc: stored, json };
}
function encodeValue(v) {
  return JSON.stringify(v, replacer);
}
function revive(v) {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const o = v;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    if (keys[0] === "$date") return new Date(o["$date"]);
    if (keys[0] === "$numberDouble") return Number(o["$numberDouble"]);
  }
  for (const k of keys) o[k] = revive(o[k]);
  return o;
}
function decodeValue(json) {
  const parsed = JSON.parse(json);
  return json.includes('"$') ? revive(parsed) : parsed;
}
function reviveValue(parsed) {
  return revive(parsed);
}
function cloneValue(v) {
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return v.map(cloneValue);
  const out2 = {};
  for (const k of Object.keys(v)) out2[k] = cloneValue(v[k]);
  return out2;
}
function keyOf(v) {
  switch (typeof v) {
    case "string":
      return `s${v}`;
    case "number":
      return `n${v}`;
    case "boolean":
      return v ? "t" : "f";
    case "undefined":
      return "z";
    default:
      if (v === null) return "z";
      if (v instanceof Date) return `d${v.getTime()}`;
      return `o${encodeValue(v)}`;
  }
}
function keyText(v) {
  const s = v instanceof Date ? v.toISOString() : encodeValue(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

// ../db/embedded-aggregate.ts
var UNSUPPORTED_STAGES = /* @__PURE__ */ new Set([
  "$out",
  "$merge",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$listLocalSessions",
  "$planCacheStats",
  "$changeStream",
  "$search",
  "$searchMeta",
  "$vectorSearch",
  "$geoNear"
]);
function foreignCollections(pipeline, out2 = /* @__PURE__ */ new Set()) {
  const visit = (v) => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (typeof v !== "object" || v === null || v instanceof Date || v instanceof RegExp) return;
    for (const [k, arg] of Object.entries(v)) {
      if ((k === "$lookup" || k === "$graphLookup") && typeof arg === "object" && arg !== null) {
        const from = arg["from"];
        if (typeof from === "string") out2.add(from);
      } else if (k === "$unionWith") {
        const coll = typeof arg === "string" ? arg : arg?.["coll"];
        if (typeof coll === "string") out2.add(coll);
      }
      visit(arg);
    }
  };
  visit(pipeline);
  return out2;
}
function leadingMatch(pipeline) {
  const first = pipeline[0];
  if (first !== void 0 && Object.keys(first).length === 1 && typeof first["$match"] === "object") {
    return { filter: first["$match"], rest: pipeline.slice(1) };
  }
  return { filter: void 0, rest: [...pipeline] };
}

// ../db/cursor-options.ts
function checkCount(what, n) {
  if (!Number.isInteger(n) || n < 0) {
    throw new DbError("DB_INVALID_OPTIONS", `${what}() needs a non-negative integer, got ${String(n)}.`);
  }
  return n;
}

// ../db/embedded-cursor.ts
var BATCH_SIZE = 256;
var LazyCursor = class {
  #started = false;
  assertIdle(what) {
    if (this.#started) {
      throw new DbError("DB_CURSOR_IN_USE", `Cannot call ${what}() after the cursor was read; build a new cursor.`);
    }
  }
  #start() {
    this.assertIdle("toArray/iterate");
    this.#started = true;
    return this.load();
  }
  async toArray() {
    return this.finish(await this.#start());
  }
  async *[Symbol.asyncIterator]() {
    const refs = await this.#start();
    for (let i = 0; i < refs.length; i += BATCH_SIZE) {
      yield* this.finish(refs.slice(i, i + BATCH_SIZE));
    }
  }
};
var EmbeddedFindCursor = class extends LazyCursor {
  #spec;
  #run;
  #finish;
  constructor(run, finish, spec) {
    super();
    this.#run = run;
    this.#finish = finish;
    this.#spec = { ...spec };
    if (spec.skip !== void 0) checkCount("skip", spec.skip);
    if (spec.limit !== void 0) checkCount("limit", spec.limit);
  }
  sort(sort) {
    this.assertIdle("sort");
    this.#spec.sort = sort;
    return this;
  }
  skip(n) {
    this.assertIdle("skip");
    this.#spec.skip = checkCount("skip", n);
    return this;
  }
  /** 0 means no limit, as in MongoDB. */
  limit(n) {
    this.assertIdle("limit");
    this.#spec.limit = checkCount("limit", n);
    return this;
  }
  project(projection) {
    this.assertIdle("project");
    this.#spec.projection = projection;
    return this;
  }
  load() {
    return this.#run(this.#spec);
  }
  finish(refs) {
    return this.#finish(refs, this.#spec);
  }
};
var EmbeddedAggregateCursor = class extends LazyCursor {
  #run;
  #copy;
  constructor(run, copy) {
    super();
    this.#run = run;
    this.#copy = copy;
  }
  load() {
    return this.#run();
  }
  finish(refs) {
    return this.#copy(refs);
  }
};

// ../db/doc-path.ts
function isPlainObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
function collect(value, segs, i, out2) {
  if (i === segs.length) {
    if (Array.isArray(value)) out2.push(...value);
    else out2.push(value);
    return;
  }
  const seg = segs[i];
  if (Array.isArray(value)) {
    if (/^\d+$/.test(seg)) {
      const el = value[Number(seg)];
      if (el !== void 0) collect(el, segs, i + 1, out2);
    }
    for (const el of value) if (isPlainObject(el) && seg in el) collect(el[seg], segs, i + 1, out2);
    return;
  }
  if (isPlainObject(value) && seg in value) collect(value[seg], segs, i + 1, out2);
}
function valuesAtPath(doc, path9) {
  const out2 = [];
  collect(doc, path9.split("."), 0, out2);
  return out2;
}

// ../db/embedded-index.ts
var MAX_KEYS_PER_DOCUMENT = 1e3;
function indexDef(spec, options, ns) {
  const entries = typeof spec === "object" && spec !== null && !Array.isArray(spec) ? Object.entries(spec) : [];
  if (entries.length === 0) {
    throw new DbError("DB_INVALID_INDEX", `An index spec for ${ns} must be an object like { field: 1 }.`, { namespace: ns });
  }
  for (const [field, dir] of entries) {
    if (dir !== 1 && dir !== -1) {
      throw new DbError(
        "DB_UNSUPPORTED",
        `Index type ${JSON.stringify(dir)} on "${field}" in ${ns}: the embedded engine supports 1 and -1 only.`,
        { namespace: ns }
      );
    }
    if (field === "" || field.startsWith("$")) {
      throw new DbError("DB_INVALID_INDEX", `Invalid index field "${field}" for ${ns}.`, { namespace: ns });
    }
  }
  const key = Object.fromEntries(entries);
  const name = options?.name ?? entries.map(([f, d]) => `${f}_${String(d)}`).join("_");
  return { name, fields: entries.map(([f]) => f), key, unique: options?.unique === true, sparse: options?.sparse === true };
}
function sameIndex(a, b) {
  return a.unique === b.unique && a.sparse === b.sparse && JSON.stringify(a.key) === JSON.stringify(b.key);
}
function describeIndex(def) {
  return {
    name: def.name,
    key: { ...def.key },
    ...def.unique ? { unique: true } : {},
    ...def.sparse ? { sparse: true } : {}
  };
}
function joinKey(prefix, part) {
  return `${prefix}${part.length}:${part}`;
}
var MemIndex = class {
  def;
  #map = /* @__PURE__ */ new Map();
  constructor(def) {
    this.def = def;
  }
  /** Keys of a document; empty when a sparse index skips it. Arrays fan out (multikey). */
  keysOf(doc) {
    const perField = this.def.fields.map((f) => valuesAtPath(doc, f));
    if (this.def.sparse && perField.every((vals) => vals.length === 0)) return [];
    let keys = [""];
    for (const vals of perField) {
      const parts = vals.length === 0 ? ["z"] : [...new Set(vals.map(keyOf))];
      keys = keys.flatMap((k) => parts.map((p) => joinKey(k, p)));
      if (keys.length > MAX_KEYS_PER_DOCUMENT) {
        throw new DbError("DB_INVALID_DOCUMENT", `Document has too many keys for index ${this.def.name}.`, {
          index: this.def.name
        });
      }
    }
    return keys;
  }
  /** Ids stored under an equality key (for lookups). */
  lookup(key) {
    return this.#map.get(key);
  }
  /** Throws DB_DUPLICATE_KEY if `keys` are held by a document other than `idKey`. */
  checkUnique(keys, idKey, doc, ns) {
    if (!this.def.unique) return;
    for (const k of keys) {
      const holders = this.#map.get(k);
      if (holders === void 0) continue;
      for (const holder of holders) {
        if (holder !== idKey) throw this.duplicate(doc, ns);
      }
    }
  }
  duplicate(doc, ns) {
    const shown = this.def.fields.map((f) => `${f}: ${keyText(valuesAtPath(doc, f)[0] ?? null)}`).join(", ");
    return new DbError(
      "DB_DUPLICATE_KEY",
      `Duplicate key in ${ns}: unique index "${this.def.name}" already has { ${shown} }.`,
      { namespace: ns, index: this.def.name, key: Object.fromEntries(this.def.fields.map((f) => [f, valuesAtPath(doc, f)[0] ?? null])) }
    );
  }
  add(keys, idKey) {
    for (const k of keys) {
      let set = this.#map.get(k);
      if (set === void 0) this.#map.set(k, set = /* @__PURE__ */ new Set());
      set.add(idKey);
    }
  }
  remove(keys, idKey) {
    for (const k of keys) {
      const set = this.#map.get(k);
      if (set === void 0) continue;
      set.delete(idKey);
      if (set.size === 0) this.#map.delete(k);
    }
  }
};

// ../db/embedded-read.ts
import { compare as compare2 } from "file:///work/main/node_modules/.pnpm/mingo@7.2.7/node_modules/mingo/cjs/util/index.js";

// ../db/embedded-planner.ts
var MAX_LOOKUP_KEYS = 1e3;
var SCAN = { source: "scan", exact: false };
function isScalar(v) {
  return typeof v === "string" || typeof v === "boolean" || typeof v === "number" && !Number.isNaN(v) || v instanceof Date && !Number.isNaN(v.getTime());
}
function isLiteralObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp) && Object.keys(v).every((k) => !k.startsWith("$"));
}
function equalityValues(cond, allowObjects) {
  const ok = (v) => isScalar(v) || allowObjects && isLiteralObject(v) && Object.keys(v).length > 0;
  if (ok(cond)) return [cond];
  if (typeof cond !== "object" || cond === null || Array.isArray(cond)) return void 0;
  const keys = Object.keys(cond);
  if (keys.length !== 1) return void 0;
  const c = cond;
  if (keys[0] === "$eq" && ok(c["$eq"])) return [c["$eq"]];
  if (keys[0] === "$in" && Array.isArray(c["$in"]) && c["$in"].every(ok)) return c["$in"];
  return void 0;
}
function plan(filter, indexes) {
  if (filter === void 0 || filter === null || typeof filter !== "object") return SCAN;
  const fields = Object.keys(filter);
  if (fields.length === 0) return SCAN;
  const ids = equalityValues(filter["_id"], true);
  if (ids !== void 0) {
    return { source: "id", keys: [...new Set(ids.map(keyOf))], exact: fields.length === 1 };
  }
  let best = SCAN;
  for (const index of indexes) {
    const perField = index.def.fields.map((f) => equalityValues(filter[f], false));
    if (perField.some((v) => v === void 0)) continue;
    let keys = [""];
    for (const vals of perField) {
      keys = keys.flatMap((k) => vals.map((v) => joinKey(k, keyOf(v))));
      if (keys.length > MAX_LOOKUP_KEYS) break;
    }
    if (keys.length > MAX_LOOKUP_KEYS) continue;
    const simplePaths = index.def.fields.every((f) => !/(^|\.)\d+(\.|$)/.test(f));
    const exact = simplePaths && fields.length === index.def.fields.length;
    const candidate = { source: "index", keys: [...new Set(keys)], index, exact };
    if (best.source === "scan" || index.def.unique && !best.index?.def.unique || exact && !best.exact) {
      best = candidate;
    }
  }
  return best;
}

// ../db/mingo-ops.ts
import { Aggregator, Query, updateOne as mingoUpdateOne } from "file:///work/main/node_modules/.pnpm/mingo@7.2.7/node_modules/mingo/cjs/index.js";

// ../db/fast-update.ts
import { compare } from "file:///work/main/node_modules/.pnpm/mingo@7.2.7/node_modules/mingo/cjs/util/index.js";
var FAST_OPS = /* @__PURE__ */ new Set(["$set", "$unset", "$inc", "$mul", "$min", "$max", "$push", "$addToSet"]);
var NUMERIC_LEAF = /* @__PURE__ */ new Set(["$inc", "$mul"]);
var ARRAY_LEAF = /* @__PURE__ */ new Set(["$push", "$addToSet"]);
function isPlainObject2(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
function hasOperatorKey(v) {
  return isPlainObject2(v) && Object.keys(v).some((k) => k.startsWith("$"));
}
function plan2(doc, ops) {
  const steps = [];
  const paths = [];
  for (const [op, fields] of Object.entries(ops)) {
    if (!FAST_OPS.has(op) || !isPlainObject2(fields) || Object.keys(fields).length === 0) return void 0;
    for (const [path9, value] of Object.entries(fields)) {
      const segs = path9.split(".");
      if (segs[0] === "_id" || segs.some((s) => s === "" || s.startsWith("$") || /^\d+$/.test(s))) return void 0;
      if (NUMERIC_LEAF.has(op) && typeof value !== "number") return void 0;
      if (ARRAY_LEAF.has(op) && hasOperatorKey(value)) return void 0;
      let cur = doc;
      for (const seg of segs.slice(0, -1)) {
        cur = cur[seg];
        if (cur === void 0) break;
        if (!isPlainObject2(cur)) return void 0;
      }
      const leaf = isPlainObject2(cur) ? cur[segs[segs.length - 1]] : void 0;
      if (NUMERIC_LEAF.has(op) && leaf !== void 0 && typeof leaf !== "number") return void 0;
      if (ARRAY_LEAF.has(op) && leaf !== void 0 && !Array.isArray(leaf)) return void 0;
      steps.push({ op, segs, value });
      paths.push(path9);
    }
  }
  paths.sort();
  for (let i = 1; i < paths.length; i++) {
    const prev = paths[i - 1];
    const path9 = paths[i];
    if (path9 === prev || path9.startsWith(`${prev}.`)) return void 0;
  }
  return steps;
}
function parentOf(doc, segs, create) {
  let cur = doc;
  for (const seg of segs.slice(0, -1)) {
    let next = cur[seg];
    if (next === void 0) {
      if (!create) return void 0;
      cur[seg] = next = {};
    }
    cur = next;
  }
  return cur;
}
function apply(doc, step) {
  const { op, segs, value } = step;
  const parent = parentOf(doc, segs, op !== "$unset");
  const key = segs[segs.length - 1];
  if (parent === void 0) return false;
  const old = parent[key];
  let next;
  switch (op) {
    case "$unset":
      if (!(key in parent)) return false;
      delete parent[key];
      return true;
    case "$set":
      next = value;
      break;
    case "$inc":
      next = old === void 0 ? value : old + value;
      break;
    case "$mul":
      next = old === void 0 ? 0 : old * value;
      break;
    case "$min":
      next = old === void 0 || compare(value, old) < 0 ? value : old;
      break;
    case "$max":
      next = old === void 0 || compare(value, old) > 0 ? value : old;
      break;
    case "$push":
      parent[key] = old === void 0 ? [value] : [...old, value];
      return true;
    case "$addToSet": {
      const list = old ?? [];
      const k = keyOf(value);
      if (old !== void 0 && list.some((x) => keyOf(x) === k)) return false;
      parent[key] = [...list, value];
      return true;
    }
    default:
      return false;
  }
  if (old !== void 0 && keyOf(old) === keyOf(next) && typeof old === typeof next) return false;
  parent[key] = next;
  return true;
}
function tryFastUpdate(doc, ops) {
  const steps = plan2(doc, ops);
  if (steps === void 0) return void 0;
  let modified = false;
  for (const step of steps) modified = apply(doc, step) || modified;
  return modified;
}

// ../db/mingo-ops.ts
var BASE_OPTIONS = { scriptEnabled: false, idKey: "_id" };
function wrap(code, what, ns, fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DbError) throw err;
    throw new DbError(code, `Invalid ${what} for ${ns}: ${messageOf(err)}`, { namespace: ns, cause: err });
  }
}
function isPlainObject3(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp);
}
var MATCH_ALL = { test: () => true };
function compileFilter2(filter, ns) {
  if (filter === void 0 || filter === null) return MATCH_ALL;
  if (!isPlainObject3(filter)) {
    throw new DbError("DB_INVALID_FILTER", `A filter must be an object (querying ${ns}).`, { namespace: ns });
  }
  if (Object.keys(filter).length === 0) return MATCH_ALL;
  const query2 = wrap("DB_INVALID_FILTER", "filter", ns, () => new Query(filter, BASE_OPTIONS));
  return { test: (doc) => wrap("DB_INVALID_FILTER", "filter", ns, () => query2.test(doc)) };
}
function sortDocuments(docs, sort, ns) {
  if (!isPlainObject3(sort)) throw new DbError("DB_INVALID_OPTIONS", `A sort must be an object (on ${ns}).`);
  for (const [k, v] of Object.entries(sort)) {
    if (v !== 1 && v !== -1) {
      throw new DbError("DB_INVALID_OPTIONS", `Sort direction for "${k}" on ${ns} must be 1 or -1, got ${String(v)}.`);
    }
  }
  return wrap("DB_INVALID_OPTIONS", "sort", ns, () => new Query({}, BASE_OPTIONS).find(docs).sort(sort).all());
}
function projectDocuments(docs, projection, ns) {
  if (!isPlainObject3(projection)) throw new DbError("DB_INVALID_OPTIONS", `A projection must be an object (on ${ns}).`);
  if (Object.keys(projection).length === 0) return docs;
  return wrap(
    "DB_INVALID_OPTIONS",
    "projection",
    ns,
    () => new Query({}, BASE_OPTIONS).find(docs, projection).all()
  );
}
var PIPELINE_UPDATE_STAGES = /* @__PURE__ */ new Set(["$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"]);
function checkUpdate(update, ns) {
  if (Array.isArray(update)) {
    for (const stage of update) {
      const keys = isPlainObject3(stage) ? Object.keys(stage) : [];
      if (keys.length !== 1 || !PIPELINE_UPDATE_STAGES.has(keys[0])) {
        throw new DbError("DB_INVALID_UPDATE", `Invalid update pipeline stage for ${ns}: ${JSON.stringify(stage)}.`, {
          namespace: ns
        });
      }
    }
    return { ops: update };
  }
  if (!isPlainObject3(update) || Object.keys(update).length === 0) {
    throw new DbError("DB_INVALID_UPDATE", `An update for ${ns} must be a non-empty object of operators.`, {
      namespace: ns
    });
  }
  const plain = Object.keys(update).find((k) => !k.startsWith("$"));
  if (plain !== void 0) {
    throw new DbError(
      "DB_INVALID_UPDATE",
      `Update for ${ns} has field "${plain}" without an operator: use { $set: {...} }, or replaceOne() to replace the whole document.`,
      { namespace: ns }
    );
  }
  const { $setOnInsert, ...ops } = update;
  if ($setOnInsert !== void 0 && !isPlainObject3($setOnInsert)) {
    throw new DbError("DB_INVALID_UPDATE", `$setOnInsert for ${ns} must be an object.`, { namespace: ns });
  }
  return $setOnInsert === void 0 ? { ops } : { ops, setOnInsert: $setOnInsert };
}
function applyUpdate(doc, ops, filter, arrayFilters, ns) {
  if (!Array.isArray(ops)) {
    if (Object.keys(ops).length === 0) return void 0;
    const fast = arrayFilters === void 0 ? tryFastUpdate(doc, ops) : void 0;
    if (fast !== void 0) return fast ? doc : void 0;
  }
  const docs = [doc];
  const result2 = wrap(
    "DB_INVALID_UPDATE",
    "update",
    ns,
    () => mingoUpdateOne(docs, filter, ops, arrayFilters ? { arrayFilters } : {}, BASE_OPTIONS)
  );
  return result2.modifiedCount > 0 ? docs[0] : void 0;
}
var NON_MUTATING_STAGES = /* @__PURE__ */ new Set([
  "$match",
  "$sort",
  "$skip",
  "$limit",
  "$count",
  "$group",
  "$sortByCount",
  "$bucket",
  "$bucketAuto",
  "$facet",
  "$lookup",
  "$sample"
]);
function pipelineIsReadOnly(pipeline) {
  return pipeline.every((stage) => Object.keys(stage).every((k) => NON_MUTATING_STAGES.has(k)));
}
function checkPipeline(pipeline, ns, unsupported) {
  if (!Array.isArray(pipeline)) {
    throw new DbError("DB_INVALID_PIPELINE", `A pipeline must be an array of stages (on ${ns}).`, { namespace: ns });
  }
  for (const stage of pipeline) {
    const keys = isPlainObject3(stage) ? Object.keys(stage) : [];
    if (keys.length !== 1) {
      throw new DbError("DB_INVALID_PIPELINE", `Each stage must have exactly one operator (on ${ns}): ${JSON.stringify(stage)}.`, {
        namespace: ns
      });
    }
    if (unsupported.has(keys[0])) {
      throw new DbError("DB_UNSUPPORTED", `Stage ${keys[0]} is not supported by the embedded engine (on ${ns}).`, {
        namespace: ns
      });
    }
  }
  return pipeline;
}
function runPipeline(docs, pipeline, ns, resolver) {
  return wrap(
    "DB_INVALID_PIPELINE",
    "pipeline",
    ns,
    () => new Aggregator(pipeline, { ...BASE_OPTIONS, collectionResolver: resolver }).run(docs)
  );
}

// ../db/embedded-read.ts
function* candidates(store, p) {
  if (p.source === "scan" || p.keys === void 0) {
    yield* store.docs.values();
    return;
  }
  if (p.source === "id") {
    for (const k of p.keys) {
      const doc = store.docs.get(k);
      if (doc !== void 0) yield doc;
    }
    return;
  }
  const index = p.index;
  if (index === void 0) return;
  const seen = p.keys.length > 1 ? /* @__PURE__ */ new Set() : void 0;
  for (const k of p.keys) {
    for (const idKey of index.lookup(k) ?? []) {
      if (seen) {
        if (seen.has(idKey)) continue;
        seen.add(idKey);
      }
      const doc = store.docs.get(idKey);
      if (doc !== void 0) yield doc;
    }
  }
}
function matchRefs(store, filter, max = Infinity) {
  const out2 = [];
  if (max <= 0) return out2;
  const p = plan(filter, store.indexes.values());
  const matcher = p.exact ? void 0 : compileFilter2(filter, store.ns);
  for (const doc of candidates(store, p)) {
    if (matcher && !matcher.test(doc)) continue;
    out2.push(doc);
    if (out2.length >= max) break;
  }
  return out2;
}
function firstMatch(store, filter) {
  return matchRefs(store, filter, 1);
}
function findRefs(store, filter, spec) {
  const skip = spec.skip ?? 0;
  const limit = spec.limit ? spec.limit : Infinity;
  const hasSort = spec.sort !== void 0 && Object.keys(spec.sort).length > 0;
  let refs = matchRefs(store, filter, hasSort ? Infinity : skip + limit);
  if (hasSort) refs = sortDocuments(refs, spec.sort ?? {}, store.ns);
  return skip === 0 && refs.length <= limit ? refs : refs.slice(skip, skip + limit);
}
function distinctValues(docs, key) {
  const seen = /* @__PURE__ */ new Map();
  for (const doc of docs) {
    for (const v of valuesAtPath(doc, key)) {
      const k = keyOf(v);
      if (v !== void 0 && !seen.has(k)) seen.set(k, v);
    }
  }
  return [...seen.values()].sort(compare2).map(cloneValue);
}

// ../db/embedded-store.ts
import { rm as rm3 } from "node:fs/promises";

// ../db/embedded-files.ts
import { open as open2, readdir as readdir2, readFile as readFile2, rename as rename2, rm as rm2, truncate } from "node:fs/promises";
import path6 from "node:path";

// ../db/embedded-journal.ts
import { mkdir as mkdir2, open } from "node:fs/promises";
import path5 from "node:path";
async function syncDir(dir) {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
async function writeAll(fh, buf) {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}
var Journal = class {
  #path;
  #fh;
  #queue = [];
  #draining = false;
  #failed;
  #bytes;
  /** Directories to sync after creating the first file (the collection dir and its parents). */
  #syncDirs;
  /** 0: sync before acknowledging; N: acknowledge once written, sync within N ms. */
  #syncIntervalMs;
  #syncTimer;
  constructor(file, existingBytes, syncDirs, syncIntervalMs = 0) {
    this.#path = file;
    this.#bytes = existingBytes;
    this.#syncDirs = syncDirs;
    this.#syncIntervalMs = syncIntervalMs;
  }
  get path() {
    return this.#path;
  }
  /** Bytes in the current file, including lines not yet synced. */
  get bytes() {
    return this.#bytes;
  }
  get failed() {
    return this.#failed;
  }
  /** Appends one record (no newline inside); resolves once it is on disk. */
  append(text) {
    if (this.#failed) return Promise.reject(this.#failed);
    this.#bytes += Buffer.byteLength(text) + 1;
    return this.#enqueue({ kind: "line", text });
  }
  /** Later appends go to `file`; resolves once earlier ones are synced and the old file closed. */
  rotate(file) {
    this.#bytes = 0;
    return this.#enqueue({ kind: "rotate", path: file });
  }
  close() {
    return this.#enqueue({ kind: "close", path: this.#path });
  }
  #enqueue(op) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...op, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        queueMicrotask(() => void this.#drain());
      }
    });
  }
  async #drain() {
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0];
        if (head.kind === "sync") {
          this.#queue.shift();
          this.#syncTimer = void 0;
          await (this.#fh?.datasync() ?? Promise.resolve()).then(head.resolve, head.reject);
          continue;
        }
        if (head.kind !== "line") {
          this.#queue.shift();
          await this.#closeFile().then(head.resolve, head.reject);
          if (head.kind === "rotate") this.#path = head.path;
          continue;
        }
        const batch = [];
        while (this.#queue[0]?.kind === "line") batch.push(this.#queue.shift());
        try {
          if (this.#failed) throw this.#failed;
          const fh = this.#fh ?? await this.#openFile();
          await writeAll(fh, Buffer.from(batch.map((l) => l.kind === "line" ? `${l.text}
` : "").join("")));
          if (this.#syncIntervalMs === 0) await fh.datasync();
          else this.#syncTimer ??= setTimeout(() => this.#enqueue({ kind: "sync", path: this.#path }).catch(() => {
          }), this.#syncIntervalMs);
          for (const l of batch) l.resolve();
        } catch (err) {
          this.#failed ??= new DbError("DB_IO_ERROR", `Cannot write journal ${this.#path}: ${messageOf(err)}`, {
            file: this.#path,
            cause: err
          });
          for (const l of batch) l.reject(this.#failed);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
  async #openFile() {
    const dir = path5.dirname(this.#path);
    await mkdir2(dir, { recursive: true });
    const fh = await open(this.#path, "a");
    this.#fh = fh;
    for (const d of [dir, ...this.#syncDirs]) await syncDir(d);
    return fh;
  }
  async #closeFile() {
    const fh = this.#fh;
    this.#fh = void 0;
    if (this.#syncTimer !== void 0) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = void 0;
    }
    if (fh && this.#syncIntervalMs > 0) await fh.datasync();
    if (fh) await fh.close();
  }
};

// ../db/embedded-files.ts
var SNAPSHOT_FILE = "snapshot.jsonl";
var SNAPSHOT_TMP = "snapshot.jsonl.tmp";
var JOURNAL_RE = /^journal-(\d{8})\.jsonl$/;
var SNAPSHOT_CHUNK_BYTES = 1 << 20;
function journalFile(dir, gen) {
  return path6.join(dir, `journal-${String(gen).padStart(8, "0")}.jsonl`);
}
function* lines(buf) {
  let start2 = 0;
  for (let nl = buf.indexOf(10, start2); nl !== -1; nl = buf.indexOf(10, start2)) {
    yield { text: buf.toString("utf8", start2, nl), end: nl + 1 };
    start2 = nl + 1;
  }
}
async function loadSnapshot(file, h) {
  const buf = await readFile2(file);
  const corrupt = (why, cause) => new DbError("DB_CORRUPT_SNAPSHOT", `Snapshot ${file} is damaged (${why}).`, { file, cause });
  let gen = -1;
  let count = 0;
  let ended = false;
  for (const { text } of lines(buf)) {
    let rec;
    try {
      rec = decodeValue(text);
    } catch (err) {
      throw corrupt(`unreadable line ${count + 2}`, err);
    }
    if (ended) throw corrupt("data after the end marker");
    if (gen === -1) {
      if (rec["v"] !== 1 || typeof rec["gen"] !== "number") throw corrupt("bad header");
      gen = rec["gen"];
      for (const def of rec["indexes"] ?? []) h.createIndex(def);
    } else if ("end" in rec && Object.keys(rec).length === 1) {
      if (rec["end"] !== count) throw corrupt(`expected ${String(rec["end"])} documents, found ${count}`);
      ended = true;
    } else {
      h.put(rec);
      count++;
    }
  }
  if (!ended) throw corrupt("no end marker");
  return { gen, bytes: buf.length };
}
async function replayJournal(file, h) {
  const buf = await readFile2(file);
  let validBytes = 0;
  let lineNo = 0;
  let bad;
  for (const { text, end } of lines(buf)) {
    lineNo++;
    if (bad) throw corruptJournal(file, bad.lineNo, bad.err);
    try {
      applyRecord(text, h);
      validBytes = end;
    } catch (err) {
      if (err instanceof DbError) throw err;
      bad = { lineNo, err };
    }
  }
  return { validBytes, size: buf.length };
}
function corruptJournal(file, lineNo, cause) {
  return new DbError(
    "DB_CORRUPT_JOURNAL",
    `Journal ${file} is damaged at line ${lineNo} (${messageOf(cause)}); later lines exist, so this is not a torn final write.`,
    { file, cause }
  );
}
function applyRecord(text, h) {
  const rec = JSON.parse(text);
  const revive2 = text.includes('"$') ? reviveValue : (v) => v;
  if ("p" in rec) h.put(revive2(rec["p"]));
  else if ("d" in rec) h.del(revive2(rec["d"]));
  else if ("ci" in rec) h.createIndex(rec["ci"]);
  else if ("di" in rec) h.dropIndex(rec["di"]);
  else throw new Error(`unknown record ${JSON.stringify(Object.keys(rec))}`);
}
async function recover(dir, h) {
  let names;
  try {
    names = await readdir2(dir);
  } catch (err) {
    if (err.code === "ENOENT") return { journalGen: 1, firstGen: 1, journalBytes: 0, snapshotBytes: 0, fresh: true };
    throw err;
  }
  let snapGen = 1;
  let snapshotBytes = 0;
  if (names.includes(SNAPSHOT_FILE)) ({ gen: snapGen, bytes: snapshotBytes } = await loadSnapshot(path6.join(dir, SNAPSHOT_FILE), h));
  if (names.includes(SNAPSHOT_TMP)) await rm2(path6.join(dir, SNAPSHOT_TMP), { force: true });
  const gens = names.flatMap((n) => JOURNAL_RE.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  let journalGen = snapGen;
  let journalBytes = 0;
  for (const gen of gens) {
    const file = journalFile(dir, gen);
    if (gen < snapGen) {
      await rm2(file, { force: true });
      continue;
    }
    const { validBytes, size } = await replayJournal(file, h);
    if (validBytes < size) await truncate(file, validBytes);
    journalGen = gen;
    journalBytes = validBytes;
  }
  return { journalGen, firstGen: snapGen, journalBytes, snapshotBytes, fresh: false };
}
function putRecord(docJson) {
  return `{"p":${docJson}}`;
}
function deleteRecord(id) {
  return `{"d":${encodeValue(id)}}`;
}
function createIndexRecord(def) {
  return JSON.stringify({ ci: def });
}
function dropIndexRecord(name) {
  return JSON.stringify({ di: name });
}
async function writeSnapshot(dir, gen, indexes, docs) {
  const tmp = path6.join(dir, SNAPSHOT_TMP);
  const fh = await open2(tmp, "w");
  let bytes = 0;
  try {
    let chunk = `${JSON.stringify({ v: 1, gen, indexes })}
`;
    for (const doc of docs) {
      chunk += `${encodeValue(doc)}
`;
      if (chunk.length >= SNAPSHOT_CHUNK_BYTES) {
        bytes += await writeChunk(fh, chunk);
        chunk = "";
      }
    }
    chunk += `${JSON.stringify({ end: docs.length })}
`;
    bytes += await writeChunk(fh, chunk);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename2(tmp, path6.join(dir, SNAPSHOT_FILE));
  await syncDir(dir);
  return bytes;
}
async function writeChunk(fh, chunk) {
  const buf = Buffer.from(chunk);
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
  return buf.length;
}

// ../db/object-id.ts
import { randomBytes } from "node:crypto";
var PROCESS_PART = randomBytes(5).toString("hex");
var counter = randomBytes(3).readUIntBE(0, 3);
function newObjectIdHex() {
  counter = (counter + 1) % 16777216;
  const seconds = Math.floor(Date.now() / 1e3) % 4294967296;
  return seconds.toString(16).padStart(8, "0") + PROCESS_PART + counter.toString(16).padStart(6, "0");
}

// ../db/embedded-store.ts
var DEFAULT_COMPACT_MIN_BYTES = 16 * 1024 * 1024;
var DEFAULT_SYNC_INTERVAL_MS = 100;
var ID_INDEX = "_id_";
var CollectionStore = class _CollectionStore {
  ns;
  dir;
  /** `_id` key -> stored document. */
  docs = /* @__PURE__ */ new Map();
  indexes = /* @__PURE__ */ new Map();
  #options;
  #journal;
  #gen = 1;
  /** Oldest journal generation that may still be on disk. */
  #firstGen = 1;
  #snapshotBytes = 0;
  #compacting;
  #exists = false;
  #closed = false;
  constructor(dir, ns, options) {
    this.dir = dir;
    this.ns = ns;
    this.#options = options;
  }
  static async open(dir, ns, options) {
    const store = new _CollectionStore(dir, ns, options);
    const rec = await recover(dir, {
      put: (doc) => store.#put(keyOf(doc["_id"]), doc),
      del: (id) => store.#remove(keyOf(id)),
      createIndex: (def) => store.#addIndex(store.#buildIndex(def, false)),
      dropIndex: (name) => store.indexes.delete(name)
    });
    store.#gen = rec.journalGen;
    store.#firstGen = rec.firstGen;
    store.#snapshotBytes = rec.snapshotBytes;
    store.#exists = !rec.fresh;
    store.#journal = new Journal(journalFile(dir, rec.journalGen), rec.journalBytes, options.parentDirs, options.syncIntervalMs);
    return store;
  }
  /** True once the collection has a directory or a write under way. */
  get exists() {
    return this.#exists;
  }
  #check() {
    if (this.#closed) throw new DbError("DB_CLOSED", `Collection ${this.ns} is closed.`, { namespace: this.ns });
    const failed = this.#journal.failed;
    if (failed) throw failed;
  }
  #append(record) {
    this.#exists = true;
    const durable = this.#journal.append(record);
    if (this.#journal.bytes >= Math.max(this.#options.compactMinBytes, this.#snapshotBytes)) {
      this.compact().catch(() => void 0);
    }
    return durable;
  }
  #keys(doc) {
    const keys = /* @__PURE__ */ new Map();
    for (const index of this.indexes.values()) keys.set(index, index.keysOf(doc));
    return keys;
  }
  #put(idKey, doc) {
    this.#remove(idKey);
    for (const [index, keys] of this.#keys(doc)) index.add(keys, idKey);
    this.docs.set(idKey, doc);
  }
  #remove(idKey) {
    const old = this.docs.get(idKey);
    if (old === void 0) return void 0;
    for (const [index, keys] of this.#keys(old)) index.remove(keys, idKey);
    this.docs.delete(idKey);
    return old;
  }
  /** Inserts a document (generating `_id` when absent); returns the stored copy. */
  insert(input) {
    this.#check();
    let withId = input;
    if (input["_id"] === void 0) {
      const { _id, ...rest } = input;
      withId = { _id: newObjectIdHex(), ...rest };
    }
    if (Array.isArray(withId["_id"])) {
      throw new DbError("DB_INVALID_DOCUMENT", `_id in ${this.ns} cannot be an array.`, { namespace: this.ns, path: "_id" });
    }
    const { doc, json } = encodeDocument(withId, this.ns);
    const idKey = keyOf(doc["_id"]);
    if (this.docs.has(idKey)) {
      throw new DbError("DB_DUPLICATE_KEY", `Duplicate key in ${this.ns}: _id ${keyText(doc["_id"])} already exists.`, {
        namespace: this.ns,
        index: ID_INDEX,
        key: { _id: doc["_id"] }
      });
    }
    const keys = this.#keys(doc);
    for (const [index, k] of keys) index.checkUnique(k, idKey, doc, this.ns);
    for (const [index, k] of keys) index.add(k, idKey);
    this.docs.set(idKey, doc);
    return { doc, durable: this.#append(putRecord(json)) };
  }
  /** Replaces the stored document under `idKey` with `next` (same `_id`). */
  replace(idKey, next) {
    this.#check();
    const old = this.docs.get(idKey);
    if (old === void 0) throw new Error(`internal: no document ${idKey} in ${this.ns}`);
    const { doc, json } = encodeDocument(next, this.ns);
    if (keyOf(doc["_id"]) !== idKey) {
      throw new DbError(
        "DB_INVALID_UPDATE",
        `The update would change the immutable field _id of ${keyText(old["_id"])} in ${this.ns}.`,
        { namespace: this.ns, path: "_id" }
      );
    }
    const keys = this.#keys(doc);
    for (const [index, k] of keys) index.checkUnique(k, idKey, doc, this.ns);
    for (const [index, k] of this.#keys(old)) index.remove(k, idKey);
    for (const [index, k] of keys) index.add(k, idKey);
    this.docs.set(idKey, doc);
    return { doc, durable: this.#append(putRecord(json)) };
  }
  delete(idKey) {
    this.#check();
    const doc = this.#remove(idKey);
    if (doc === void 0) return { doc, durable: Promise.resolve() };
    return { doc, durable: this.#append(deleteRecord(doc["_id"])) };
  }
  #buildIndex(def, enforce) {
    const index = new MemIndex(def);
    for (const [idKey, doc] of this.docs) {
      const keys = index.keysOf(doc);
      if (enforce) index.checkUnique(keys, idKey, doc, this.ns);
      index.add(keys, idKey);
    }
    return index;
  }
  #addIndex(index) {
    this.indexes.set(index.def.name, index);
  }
  /** Builds an index over the current documents (DB_DUPLICATE_KEY if `unique` fails). */
  createIndex(def) {
    this.#check();
    this.#addIndex(this.#buildIndex(def, true));
    return this.#append(createIndexRecord(def));
  }
  dropIndex(name) {
    this.#check();
    this.indexes.delete(name);
    return this.#append(dropIndexRecord(name));
  }
  /** Writes a snapshot and deletes the journals it covers. Runs once at a time. */
  compact() {
    if (this.#compacting) return this.#compacting;
    if (!this.#exists || this.#closed) return Promise.resolve();
    const gen = this.#gen + 1;
    const docs = [...this.docs.values()];
    const defs = [...this.indexes.values()].map((i) => i.def);
    this.#gen = gen;
    const rotated = this.#journal.rotate(journalFile(this.dir, gen));
    this.#compacting = (async () => {
      await rotated;
      this.#snapshotBytes = await writeSnapshot(this.dir, gen, defs, docs);
      for (let g = this.#firstGen; g < gen; g++) await rm3(journalFile(this.dir, g), { force: true });
      this.#firstGen = gen;
      await syncDir(this.dir);
    })().catch((err) => {
      throw new DbError("DB_IO_ERROR", `Compaction of ${this.ns} failed: ${messageOf(err)}`, { file: this.dir, cause: err });
    }).finally(() => {
      this.#compacting = void 0;
    });
    return this.#compacting;
  }
  /** Waits for pending writes and compaction, then closes the journal. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    await this.#compacting?.catch(() => void 0);
    await this.#journal.close();
  }
};

// ../db/embedded-writes.ts
function isOperatorObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp) && Object.keys(v).some((k) => k.startsWith("$"));
}
function equalityFields(filter, out2 = {}) {
  for (const [k, v] of Object.entries(filter)) {
    if (k === "$and" && Array.isArray(v)) {
      for (const sub of v) if (typeof sub === "object" && sub !== null) equalityFields(sub, out2);
    } else if (k.startsWith("$") || v instanceof RegExp) {
      continue;
    } else if (isOperatorObject(v)) {
      if ("$eq" in v) out2[k] = v["$eq"];
    } else {
      out2[k] = v;
    }
  }
  return out2;
}
function usesPositional(ops) {
  if (Array.isArray(ops)) return false;
  return Object.values(ops).some(
    (fields) => typeof fields === "object" && fields !== null && Object.keys(fields).some((p) => /\.\$(\.|$)/.test(p))
  );
}
function upsertDocument(filter, ops, setOnInsert, arrayFilters, ns) {
  const { _id, ...eq } = equalityFields(filter);
  let doc = _id === void 0 ? {} : { _id };
  if (Object.keys(eq).length > 0) doc = applyUpdate(doc, { $set: eq }, {}, void 0, ns) ?? doc;
  doc = applyUpdate(doc, ops, {}, arrayFilters, ns) ?? doc;
  if (setOnInsert && Object.keys(setOnInsert).length > 0) {
    doc = applyUpdate(doc, { $set: setOnInsert }, {}, void 0, ns) ?? doc;
  }
  return doc;
}
function checkReplacement(replacement, ns) {
  if (typeof replacement !== "object" || replacement === null || Array.isArray(replacement)) {
    throw new DbError("DB_INVALID_UPDATE", `A replacement for ${ns} must be a document.`, { namespace: ns });
  }
  const op = Object.keys(replacement).find((k) => k.startsWith("$"));
  if (op !== void 0) {
    throw new DbError(
      "DB_INVALID_UPDATE",
      `Replacement for ${ns} contains the operator ${op}: use updateOne() for operators.`,
      { namespace: ns }
    );
  }
  return replacement;
}
function replacementFor(current, replacement) {
  const { _id, ...rest } = replacement;
  return { _id: _id === void 0 ? current["_id"] : _id, ...rest };
}
async function settleThenThrow(durables, err) {
  await Promise.allSettled(durables);
  throw err;
}
function result(matchedCount, modifiedCount, upsertedId) {
  return { acknowledged: true, matchedCount, modifiedCount, upsertedCount: upsertedId === null ? 0 : 1, upsertedId };
}
async function updateDocuments(store, filter, { ops, setOnInsert }, options, many) {
  const refs = many ? matchRefs(store, filter) : firstMatch(store, filter);
  const condition = usesPositional(ops) ? filter : {};
  const durables = [];
  let modifiedCount = 0;
  try {
    for (const ref of refs) {
      const next = applyUpdate(cloneValue(ref), ops, condition, options.arrayFilters, store.ns);
      if (next === void 0) continue;
      durables.push(store.replace(keyOf(ref["_id"]), next).durable);
      modifiedCount++;
    }
    let upsertedId = null;
    if (refs.length === 0 && options.upsert) {
      const r = store.insert(upsertDocument(filter, ops, setOnInsert, options.arrayFilters, store.ns));
      durables.push(r.durable);
      upsertedId = cloneValue(r.doc["_id"]);
    }
    await Promise.all(durables);
    return result(refs.length, modifiedCount, upsertedId);
  } catch (err) {
    return settleThenThrow(durables, err);
  }
}
async function replaceDocument(store, filter, doc, options) {
  const [ref] = firstMatch(store, filter);
  if (ref === void 0) {
    if (!options.upsert) return result(0, 0, null);
    const id = doc["_id"] ?? equalityFields(filter)["_id"];
    const r = store.insert(id === void 0 ? doc : { ...doc, _id: id });
    await r.durable;
    return result(0, 0, cloneValue(r.doc["_id"]));
  }
  const next = replacementFor(ref, doc);
  if (encodeDocument(next, store.ns).json === encodeValue(ref)) return result(1, 0, null);
  await store.replace(keyOf(ref["_id"]), next).durable;
  return result(1, 1, null);
}
async function findAndUpdate(store, filter, { ops, setOnInsert }, options) {
  const [ref] = options.sort ? findRefs(store, filter, { sort: options.sort, limit: 1 }) : firstMatch(store, filter);
  let before = ref ?? null;
  let after = before;
  if (ref !== void 0) {
    const condition = usesPositional(ops) ? filter : {};
    const next = applyUpdate(cloneValue(ref), ops, condition, options.arrayFilters, store.ns);
    if (next !== void 0) {
      const r = store.replace(keyOf(ref["_id"]), next);
      after = r.doc;
      await r.durable;
    }
  } else if (options.upsert) {
    const r = store.insert(upsertDocument(filter, ops, setOnInsert, options.arrayFilters, store.ns));
    before = null;
    after = r.doc;
    await r.durable;
  }
  return options.returnDocument === "after" ? after : before;
}

// ../db/embedded-collection.ts
var ACK = { acknowledged: true };
function copyOut(refs, projection, ns) {
  const copies = refs.map(cloneValue);
  return projection ? projectDocuments(copies, projection, ns) : copies;
}
var EmbeddedCollection = class {
  collectionName;
  #db;
  #ns;
  constructor(db, name) {
    this.#db = db;
    this.collectionName = name;
    this.#ns = `${db.databaseName}.${name}`;
  }
  #store() {
    return this.#db.store(this.collectionName);
  }
  async insertOne(doc) {
    const { doc: stored, durable } = (await this.#store()).insert(doc);
    await durable;
    return { ...ACK, insertedId: cloneValue(stored["_id"]) };
  }
  async insertMany(docs, options = {}) {
    if (!Array.isArray(docs)) throw new DbError("DB_INVALID_DOCUMENT", `insertMany needs an array (on ${this.#ns}).`);
    const store = await this.#store();
    const ordered = options.ordered !== false;
    const insertedIds = {};
    const durables = [];
    let firstError;
    let insertedCount = 0;
    for (const [i, doc] of docs.entries()) {
      try {
        const r = store.insert(doc);
        durables.push(r.durable);
        insertedIds[i] = cloneValue(r.doc["_id"]);
        insertedCount++;
      } catch (err) {
        firstError ??= err;
        if (ordered) break;
      }
    }
    if (firstError !== void 0) {
      if (isDbError(firstError)) {
        firstError.message += ` (${insertedCount} of ${docs.length} documents were inserted)`;
      }
      return settleThenThrow(durables, firstError);
    }
    await Promise.all(durables);
    return { ...ACK, insertedCount, insertedIds };
  }
  find(filter = {}, options = {}) {
    return new EmbeddedFindCursor(
      async (spec) => findRefs(await this.#store(), filter, spec),
      (refs, spec) => copyOut(refs, spec.projection, this.#ns),
      options
    );
  }
  async findOne(filter = {}, options = {}) {
    const [doc] = await this.find(filter, { ...options, limit: 1 }).toArray();
    return doc ?? null;
  }
  async countDocuments(filter = {}, options = {}) {
    const store = await this.#store();
    if (Object.keys(filter ?? {}).length === 0 && !options.skip && !options.limit) return store.docs.size;
    return findRefs(store, filter, { skip: options.skip, limit: options.limit }).length;
  }
  async estimatedDocumentCount() {
    return (await this.#store()).docs.size;
  }
  async distinct(key, filter = {}) {
    return distinctValues(matchRefs(await this.#store(), filter), key);
  }
  aggregate(pipeline) {
    let readOnly = true;
    const run = async () => {
      const stages = checkPipeline(pipeline, this.#ns, UNSUPPORTED_STAGES);
      const { filter, rest } = leadingMatch(stages);
      readOnly = pipelineIsReadOnly(rest);
      const own = (refs) => readOnly ? [...refs] : refs.map(cloneValue);
      const foreign = /* @__PURE__ */ new Map();
      for (const name of foreignCollections(rest)) {
        foreign.set(name, own([...(await this.#db.store(name)).docs.values()]));
      }
      const input = own(matchRefs(await this.#store(), filter ?? {}));
      if (rest.length === 0) return input;
      return runPipeline(input, rest, this.#ns, (name) => foreign.get(name) ?? []);
    };
    return new EmbeddedAggregateCursor(run, (refs) => readOnly ? refs.map(cloneValue) : [...refs]);
  }
  updateOne(filter, update, options) {
    return this.#update(filter, update, options ?? {}, false);
  }
  updateMany(filter, update, options) {
    return this.#update(filter, update, options ?? {}, true);
  }
  async #update(filter, update, options, many) {
    const parsed = checkUpdate(update, this.#ns);
    return await updateDocuments(await this.#store(), filter, parsed, options, many);
  }
  async replaceOne(filter, replacement, options = {}) {
    const doc = checkReplacement(replacement, this.#ns);
    return await replaceDocument(await this.#store(), filter, doc, options);
  }
  async findOneAndUpdate(filter, update, options = {}) {
    const parsed = checkUpdate(update, this.#ns);
    const out2 = await findAndUpdate(await this.#store(), filter, parsed, options);
    return out2 === null ? null : copyOut([out2], options.projection, this.#ns)[0] ?? null;
  }
  async findOneAndDelete(filter, options = {}) {
    const store = await this.#store();
    const [ref] = options.sort ? findRefs(store, filter, { sort: options.sort, limit: 1 }) : firstMatch(store, filter);
    if (ref === void 0) return null;
    await store.delete(keyOf(ref["_id"])).durable;
    return copyOut([ref], options.projection, this.#ns)[0] ?? null;
  }
  deleteOne(filter = {}) {
    return this.#delete(filter, false);
  }
  deleteMany(filter = {}) {
    return this.#delete(filter, true);
  }
  async #delete(filter, many) {
    const store = await this.#store();
    const refs = many ? matchRefs(store, filter) : firstMatch(store, filter);
    const durables = [];
    try {
      for (const ref of refs) durables.push(store.delete(keyOf(ref["_id"])).durable);
      await Promise.all(durables);
    } catch (err) {
      return settleThenThrow(durables, err);
    }
    return { ...ACK, deletedCount: refs.length };
  }
  async createIndex(spec, options = {}) {
    const def = indexDef(spec, options, this.#ns);
    if (def.fields.length === 1 && def.fields[0] === "_id") return ID_INDEX;
    const store = await this.#store();
    for (const existing of store.indexes.values()) {
      if (existing.def.name === def.name && sameIndex(existing.def, def)) return def.name;
      if (existing.def.name === def.name || JSON.stringify(existing.def.key) === JSON.stringify(def.key)) {
        throw new DbError(
          "DB_INVALID_INDEX",
          `Index ${def.name} on ${this.#ns} conflicts with existing index ${existing.def.name} (${JSON.stringify(describeIndex(existing.def))}); drop it first.`,
          { namespace: this.#ns, index: existing.def.name }
        );
      }
    }
    await store.createIndex(def);
    return def.name;
  }
  async listIndexes() {
    const store = await this.#store();
    if (!store.exists) return [];
    return [{ name: ID_INDEX, key: { _id: 1 } }, ...[...store.indexes.values()].map((i) => describeIndex(i.def))];
  }
  async dropIndex(name) {
    if (name === ID_INDEX) {
      throw new DbError("DB_INVALID_INDEX", `The _id index of ${this.#ns} cannot be dropped.`, { namespace: this.#ns });
    }
    const store = await this.#store();
    if (!store.indexes.has(name)) {
      throw new DbError("DB_INDEX_NOT_FOUND", `No index named ${name} on ${this.#ns}.`, { namespace: this.#ns, index: name });
    }
    await store.dropIndex(name);
  }
};

// ../db/embedded-lock.ts
import { mkdir as mkdir3, open as open3, readFile as readFile3, unlink } from "node:fs/promises";
import path7 from "node:path";
var LOCK_FILE = "LOCK";
var heldHere = /* @__PURE__ */ new Set();
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}
async function tryCreate(file) {
  try {
    const fh = await open3(file, "wx");
    try {
      await fh.writeFile(`${process.pid}
`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if (err.code === "EEXIST") return false;
    throw err;
  }
}
async function lockDirectory(dir, dbName) {
  const file = path7.join(dir, LOCK_FILE);
  if (heldHere.has(file)) throw locked(dbName, file, process.pid);
  await mkdir3(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await tryCreate(file)) {
      heldHere.add(file);
      return async () => {
        heldHere.delete(file);
        await unlink(file).catch(() => void 0);
      };
    }
    const pid = Number.parseInt(await readFile3(file, "utf8").catch(() => ""), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw locked(dbName, file, pid);
    await unlink(file).catch(() => void 0);
  }
  throw locked(dbName, file, void 0);
}
function locked(dbName, file, pid) {
  return new DbError(
    "DB_LOCKED",
    `Database ${dbName} is in use by ${pid === void 0 ? "another process" : `process ${pid}`} (${file}). Close that provider first; delete the file only if no process uses the database.`,
    { file }
  );
}

// ../db/names.ts
var MODULE_NAME = /^[a-z0-9_-]{1,64}$/;
var MAX_COLLECTION_NAME = 120;
function checkModuleName(name) {
  if (typeof name !== "string" || !MODULE_NAME.test(name)) {
    throw new DbError(
      "DB_INVALID_NAME",
      `Invalid module name ${JSON.stringify(name)}: use 1-64 characters from a-z, 0-9, "_" and "-".`
    );
  }
  return name;
}
function checkCollectionName(name) {
  const bad = typeof name !== "string" || name.length === 0 || name.length > MAX_COLLECTION_NAME || name.includes("$") || name.includes("\0") || name.startsWith("system.") || name.startsWith(".") || name.endsWith(".");
  if (bad) {
    throw new DbError(
      "DB_INVALID_NAME",
      `Invalid collection name ${JSON.stringify(name)}: use 1-${MAX_COLLECTION_NAME} characters, no "$" or NUL, not starting with "system." and not starting or ending with ".".`
    );
  }
  return name;
}
function collectionDirName(name) {
  let out2 = "";
  for (const byte of Buffer.from(name, "utf8")) {
    const c = String.fromCharCode(byte);
    out2 += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out2;
}
function collectionFromDirName(dirName) {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/.test(dirName)) return void 0;
  try {
    return decodeURIComponent(dirName);
  } catch {
    return void 0;
  }
}

// ../db/embedded-db.ts
async function dirExists(dir) {
  try {
    return (await stat2(dir)).isDirectory();
  } catch {
    return false;
  }
}
var EmbeddedDb = class {
  databaseName;
  #root;
  #dir;
  #compactMinBytes;
  #syncIntervalMs;
  #stores = /* @__PURE__ */ new Map();
  /** A drop under way: a new store for that name must wait for its files to be gone. */
  #drops = /* @__PURE__ */ new Map();
  /** The directory lock, taken at the first collection access; resolves to its release. */
  #lock;
  #closed = false;
  constructor(options) {
    this.databaseName = options.name;
    this.#root = options.root;
    this.#dir = path8.join(options.root, options.name);
    this.#compactMinBytes = options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES;
    this.#syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
  }
  collection(name) {
    return new EmbeddedCollection(this, checkCollectionName(name));
  }
  store(name) {
    if (this.#closed) return Promise.reject(this.#closedError());
    let p = this.#stores.get(name);
    if (p === void 0) {
      const ns = `${this.databaseName}.${name}`;
      const opening = (async () => {
        await this.#locked();
        await this.#drops.get(name);
        return CollectionStore.open(path8.join(this.#dir, collectionDirName(name)), ns, {
          compactMinBytes: this.#compactMinBytes,
          syncIntervalMs: this.#syncIntervalMs,
          parentDirs: [this.#dir, this.#root]
        });
      })();
      p = opening;
      this.#stores.set(name, p);
      opening.catch(() => {
        if (this.#stores.get(name) === opening) this.#stores.delete(name);
      });
    }
    return p;
  }
  #locked() {
    if (this.#lock === void 0) {
      const attempt = lockDirectory(this.#dir, this.databaseName);
      this.#lock = attempt;
      attempt.catch(() => {
        if (this.#lock === attempt) this.#lock = void 0;
      });
    }
    return this.#lock;
  }
  #closedError() {
    return new DbError("DB_CLOSED", `Database ${this.databaseName} is closed.`);
  }
  async listCollections() {
    if (this.#closed) throw this.#closedError();
    const names = /* @__PURE__ */ new Set();
    try {
      for (const entry of await readdir3(this.#dir, { withFileTypes: true })) {
        const name = entry.isDirectory() ? collectionFromDirName(entry.name) : void 0;
        if (name !== void 0 && !this.#drops.has(name)) names.add(name);
      }
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
    }
    for (const [name, p] of this.#stores) {
      const store = await p.catch(() => void 0);
      if (store?.exists) names.add(name);
    }
    return [...names].sort();
  }
  async dropCollection(name) {
    if (this.#closed) throw this.#closedError();
    checkCollectionName(name);
    const open4 = this.#stores.get(name);
    this.#stores.delete(name);
    const previous = this.#drops.get(name);
    const dir = path8.join(this.#dir, collectionDirName(name));
    const drop = (async () => {
      await this.#locked();
      await previous;
      const store = await open4?.catch(() => void 0);
      let existed = store?.exists ?? false;
      await store?.close();
      existed = await dirExists(dir) || existed;
      await rm4(dir, { recursive: true, force: true });
      if (await dirExists(this.#dir)) await syncDir(this.#dir);
      return existed;
    })();
    const settled = drop.then(
      () => void 0,
      () => void 0
    );
    this.#drops.set(name, settled);
    void settled.then(() => {
      if (this.#drops.get(name) === settled) this.#drops.delete(name);
    });
    return drop;
  }
  /** Waits for pending writes and closes every journal. */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    const stores = await Promise.all([...this.#stores.values()].map((p) => p.catch(() => void 0)));
    this.#stores.clear();
    await Promise.all(stores.map((s) => s?.close()));
    await Promise.all(this.#drops.values());
    const release = await this.#lock?.catch(() => void 0);
    this.#lock = void 0;
    await release?.();
  }
  /** Compacts every open collection now (tests and maintenance). */
  async compact() {
    const stores = await Promise.all([...this.#stores.values()]);
    await Promise.all(stores.map((s) => s.compact()));
  }
};

// ../db/mongo-errors.ts
var DUPLICATE_KEY = /* @__PURE__ */ new Set([11e3, 11001, 12582]);
var TOO_LARGE = /* @__PURE__ */ new Set([10334, 17419, 17420]);
var INDEX_INVALID = /* @__PURE__ */ new Set([67, 85, 86, 197]);
var INDEX_NOT_FOUND = 27;
var INVALID_NAMESPACE = 73;
var BAD_INPUT = /* @__PURE__ */ new Set([2, 4, 9, 14, 15, 16, 17, 28, 40, 52, 55, 56, 57, 66, 72, 168, 224]);
var UNAVAILABLE_NAMES = /* @__PURE__ */ new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoTopologyClosedError",
  "MongoNotConnectedError",
  "MongoServerClosedError",
  "MongoClientClosedError",
  "MongoOperationTimeoutError"
]);
var BAD_INPUT_CODE = {
  read: "DB_INVALID_FILTER",
  insert: "DB_INVALID_DOCUMENT",
  update: "DB_INVALID_UPDATE",
  aggregate: "DB_INVALID_PIPELINE",
  index: "DB_INVALID_INDEX",
  admin: "DB_BACKEND_ERROR"
};
function firstCode(e) {
  if (typeof e.code === "number") return e.code;
  const inner = e.writeErrors?.[0]?.err?.code;
  return typeof inner === "number" ? inner : void 0;
}
function mapMongoError(err, op, ns) {
  if (isDbError(err)) return err;
  const e = typeof err === "object" && err !== null ? err : {};
  const name = typeof e.name === "string" ? e.name : "";
  const code = firstCode(e);
  const msg = messageOf(err);
  const fields = { namespace: ns, cause: err };
  if (code !== void 0 && DUPLICATE_KEY.has(code)) {
    const key = e.keyValue ?? e.writeErrors?.[0]?.err?.keyValue ?? e.errorResponse?.keyValue;
    const index = /index: (\S+)/.exec(msg)?.[1];
    const inserted = typeof e.result?.insertedCount === "number" ? ` (${e.result.insertedCount} documents were inserted)` : "";
    return new DbError(
      "DB_DUPLICATE_KEY",
      `Duplicate key in ${ns}${index ? `: unique index "${index}"` : ""} already has ${JSON.stringify(key ?? null)}${inserted}.`,
      { ...fields, index, key }
    );
  }
  if (UNAVAILABLE_NAMES.has(name)) return new DbError("DB_UNAVAILABLE", `MongoDB is unavailable (${ns}): ${msg}`, fields);
  if (name === "MongoCursorInUseError") return new DbError("DB_CURSOR_IN_USE", `Cursor on ${ns} is already in use: ${msg}`, fields);
  if (name === "MongoInvalidArgumentError") return new DbError(BAD_INPUT_CODE[op], `Invalid request on ${ns}: ${msg}`, fields);
  if (code !== void 0) {
    if (TOO_LARGE.has(code)) return new DbError("DB_DOCUMENT_TOO_LARGE", `Document too large for ${ns}: ${msg}`, fields);
    if (code === INDEX_NOT_FOUND) return new DbError("DB_INDEX_NOT_FOUND", `Index not found on ${ns}: ${msg}`, fields);
    if (INDEX_INVALID.has(code)) return new DbError("DB_INVALID_INDEX", `Index conflict on ${ns}: ${msg}`, fields);
    if (code === INVALID_NAMESPACE) return new DbError("DB_INVALID_NAME", `Invalid name ${ns}: ${msg}`, fields);
    if (BAD_INPUT.has(code) || code >= 1e4) {
      return new DbError(BAD_INPUT_CODE[op], `MongoDB rejected the request on ${ns} (code ${code}): ${msg}`, fields);
    }
  }
  return new DbError("DB_BACKEND_ERROR", `MongoDB error on ${ns}${code === void 0 ? "" : ` (code ${code})`}: ${msg}`, fields);
}
async function mongoCall(op, ns, fn) {
  try {
    return await fn();
  } catch (err) {
    throw mapMongoError(err, op, ns);
  }
}

// ../db/mongo-cursor.ts
var MongoCursorBase = class {
  cursor;
  ns;
  #op;
  constructor(cursor, ns, op) {
    this.cursor = cursor;
    this.ns = ns;
    this.#op = op;
  }
  guard(fn) {
    try {
      return fn();
    } catch (err) {
      throw mapMongoError(err, this.#op, this.ns);
    }
  }
  async toArray() {
    try {
      return await this.cursor.toArray();
    } catch (err) {
      throw mapMongoError(err, this.#op, this.ns);
    }
  }
  async *[Symbol.asyncIterator]() {
    try {
      for await (const doc of this.cursor) yield doc;
    } catch (err) {
      throw mapMongoError(err, this.#op, this.ns);
    }
  }
};
var MongoFindCursorAdapter = class extends MongoCursorBase {
  #find;
  constructor(cursor, ns) {
    super(cursor, ns, "read");
    this.#find = cursor;
  }
  sort(sort) {
    this.guard(() => this.#find.sort(sort));
    return this;
  }
  skip(n) {
    const count = checkCount("skip", n);
    this.guard(() => this.#find.skip(count));
    return this;
  }
  limit(n) {
    const count = checkCount("limit", n);
    this.guard(() => this.#find.limit(count));
    return this;
  }
  project(projection) {
    this.guard(() => this.#find.project(projection));
    return this;
  }
};
var MongoAggregateCursorAdapter = class extends MongoCursorBase {
  constructor(cursor, ns) {
    super(cursor, ns, "aggregate");
  }
};

// ../db/mongo-collection.ts
var NAMESPACE_NOT_FOUND = 26;
function df(filter) {
  return filter;
}
function du(update) {
  return update;
}
function withStringId(doc) {
  return doc["_id"] === void 0 ? { ...doc, _id: newObjectIdHex() } : { ...doc };
}
function upsertWithId(filter, update) {
  if (Array.isArray(update) || "_id" in filter) return update;
  const set = update["$set"];
  const onInsert = update["$setOnInsert"] ?? {};
  if (set?.["_id"] !== void 0 || onInsert["_id"] !== void 0) return update;
  return { ...update, $setOnInsert: { ...onInsert, _id: newObjectIdHex() } };
}
function updateResult(r) {
  return {
    acknowledged: r.acknowledged,
    matchedCount: r.matchedCount,
    modifiedCount: r.modifiedCount,
    upsertedCount: r.upsertedCount,
    upsertedId: r.upsertedId ?? null
  };
}
var MongoCollectionAdapter = class {
  collectionName;
  #c;
  #ns;
  constructor(collection, ns) {
    this.#c = collection;
    this.collectionName = collection.collectionName;
    this.#ns = ns;
  }
  async insertOne(doc) {
    const r = await mongoCall("insert", this.#ns, () => this.#c.insertOne(withStringId(doc)));
    return { acknowledged: r.acknowledged, insertedId: r.insertedId };
  }
  async insertMany(docs, options = {}) {
    if (docs.length === 0) return { acknowledged: true, insertedCount: 0, insertedIds: {} };
    const input = docs.map((d) => withStringId(d));
    const r = await mongoCall("insert", this.#ns, () => this.#c.insertMany(input, { ordered: options.ordered !== false }));
    return {
      acknowledged: r.acknowledged,
      insertedCount: r.insertedCount,
      insertedIds: r.insertedIds
    };
  }
  find(filter = {}, options = {}) {
    try {
      return new MongoFindCursorAdapter(this.#c.find(df(filter), options), this.#ns);
    } catch (err) {
      throw mapMongoError(err, "read", this.#ns);
    }
  }
  findOne(filter = {}, options = {}) {
    return mongoCall("read", this.#ns, () => this.#c.findOne(df(filter), options));
  }
  countDocuments(filter = {}, options = {}) {
    return mongoCall("read", this.#ns, () => this.#c.countDocuments(df(filter), options));
  }
  estimatedDocumentCount() {
    return mongoCall("read", this.#ns, () => this.#c.estimatedDocumentCount());
  }
  async distinct(key, filter = {}) {
    return await mongoCall("read", this.#ns, () => this.#c.distinct(key, df(filter)));
  }
  aggregate(pipeline) {
    try {
      return new MongoAggregateCursorAdapter(this.#c.aggregate([...pipeline]), this.#ns);
    } catch (err) {
      throw mapMongoError(err, "aggregate", this.#ns);
    }
  }
  async updateOne(filter, update, options = {}) {
    checkUpdate(update, this.#ns);
    const u = options.upsert ? upsertWithId(filter, update) : update;
    return mongoCall("update", this.#ns, async () => updateResult(await this.#c.updateOne(df(filter), du(u), options)));
  }
  async updateMany(filter, update, options = {}) {
    checkUpdate(update, this.#ns);
    const u = options.upsert ? upsertWithId(filter, update) : update;
    return mongoCall("update", this.#ns, async () => updateResult(await this.#c.updateMany(df(filter), du(u), options)));
  }
  async replaceOne(filter, replacement, options = {}) {
    const doc = { ...checkReplacement(replacement, this.#ns) };
    return mongoCall("update", this.#ns, async () => {
      if (!options.upsert || doc["_id"] !== void 0 || "_id" in filter) {
        return updateResult(await this.#c.replaceOne(df(filter), doc, options));
      }
      const r = await this.#c.replaceOne(df(filter), doc);
      if (r.matchedCount > 0) return updateResult(r);
      return updateResult(await this.#c.replaceOne(df(filter), { _id: newObjectIdHex(), ...doc }, { upsert: true }));
    });
  }
  async findOneAndUpdate(filter, update, options = {}) {
    checkUpdate(update, this.#ns);
    const u = options.upsert ? upsertWithId(filter, update) : update;
    return mongoCall(
      "update",
      this.#ns,
      () => this.#c.findOneAndUpdate(df(filter), du(u), { returnDocument: "before", ...options })
    );
  }
  findOneAndDelete(filter, options = {}) {
    return mongoCall("read", this.#ns, () => this.#c.findOneAndDelete(df(filter), options));
  }
  async deleteOne(filter = {}) {
    const r = await mongoCall("read", this.#ns, () => this.#c.deleteOne(df(filter)));
    return { acknowledged: r.acknowledged, deletedCount: r.deletedCount };
  }
  async deleteMany(filter = {}) {
    const r = await mongoCall("read", this.#ns, () => this.#c.deleteMany(df(filter)));
    return { acknowledged: r.acknowledged, deletedCount: r.deletedCount };
  }
  createIndex(spec, options = {}) {
    return mongoCall("index", this.#ns, () => this.#c.createIndex(spec, options));
  }
  async listIndexes() {
    try {
      const raw = await this.#c.listIndexes().toArray();
      return raw.map((i) => ({
        name: String(i["name"]),
        key: i["key"],
        ...i["unique"] === true ? { unique: true } : {},
        ...i["sparse"] === true ? { sparse: true } : {}
      }));
    } catch (err) {
      if (err.code === NAMESPACE_NOT_FOUND) return [];
      throw mapMongoError(err, "index", this.#ns);
    }
  }
  async dropIndex(name) {
    try {
      await this.#c.dropIndex(name);
    } catch (err) {
      if (err.code === NAMESPACE_NOT_FOUND) {
        throw new DbError("DB_INDEX_NOT_FOUND", `No index named ${name} on ${this.#ns}.`, { namespace: this.#ns, index: name });
      }
      throw mapMongoError(err, "index", this.#ns);
    }
  }
};

// ../db/mongo-db.ts
var MongoDbAdapter = class {
  databaseName;
  #db;
  constructor(db) {
    this.#db = db;
    this.databaseName = db.databaseName;
  }
  collection(name) {
    checkCollectionName(name);
    return new MongoCollectionAdapter(this.#db.collection(name), `${this.databaseName}.${name}`);
  }
  async listCollections() {
    const infos = await mongoCall(
      "admin",
      this.databaseName,
      () => this.#db.listCollections({}, { nameOnly: true }).toArray()
    );
    return infos.map((i) => i.name).filter((n) => !n.startsWith("system.")).sort();
  }
  async dropCollection(name) {
    checkCollectionName(name);
    const ns = `${this.databaseName}.${name}`;
    const found = await mongoCall(
      "admin",
      ns,
      () => this.#db.listCollections({ name }, { nameOnly: true }).toArray()
    );
    if (found.length === 0) return false;
    return mongoCall("admin", ns, () => this.#db.dropCollection(name));
  }
};

// ../db/index.ts
var DEFAULT_DB_PREFIX = "insights_";
var MAX_MONGO_DB_NAME = 63;
function invalid2(message) {
  return new DbError("DB_INVALID_OPTIONS", message);
}
function closedError() {
  return new DbError("DB_CLOSED", "The database provider was closed.");
}
function createDbProvider(options) {
  if (typeof options !== "object" || options === null) throw invalid2("createDbProvider needs an options object.");
  switch (options.kind) {
    case "embedded":
      if (typeof options.dir !== "string" || options.dir === "") throw invalid2('Embedded db needs a "dir".');
      if (options.compactMinBytes !== void 0 && !(options.compactMinBytes > 0)) {
        throw invalid2('"compactMinBytes" must be a positive number of bytes.');
      }
      return embeddedProvider(options.dir, options.compactMinBytes, options.syncIntervalMs);
    case "mongodb": {
      if (typeof options.url !== "string" || !/^mongodb(\+srv)?:\/\//.test(options.url)) {
        throw invalid2('MongoDB db needs a "url" starting with mongodb:// or mongodb+srv://.');
      }
      const prefix = options.dbPrefix ?? DEFAULT_DB_PREFIX;
      if (!/^[A-Za-z0-9_-]*$/.test(prefix)) throw invalid2(`"dbPrefix" ${JSON.stringify(prefix)} may use only A-Z a-z 0-9 _ -.`);
      return mongoProvider(options.url, prefix, options.clientOptions ?? {});
    }
    default:
      throw invalid2(`Unknown db kind ${JSON.stringify(options.kind)}: use "embedded" or "mongodb".`);
  }
}
function embeddedProvider(dir, compactMinBytes, syncIntervalMs) {
  const dbs = /* @__PURE__ */ new Map();
  let closed = false;
  return {
    forModule(moduleName) {
      if (closed) return Promise.reject(closedError());
      try {
        const name = checkModuleName(moduleName);
        let db = dbs.get(name);
        if (db === void 0) dbs.set(name, db = new EmbeddedDb({ root: dir, name, compactMinBytes, syncIntervalMs }));
        return Promise.resolve(db);
      } catch (err) {
        return Promise.reject(err);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...dbs.values()].map((db) => db.close()));
      dbs.clear();
    }
  };
}
function mongoProvider(url, prefix, clientOptions) {
  let client;
  let closed = false;
  const dbs = /* @__PURE__ */ new Map();
  const connect = () => {
    if (client === void 0) {
      const attempt = new MongoClient(url, clientOptions).connect();
      client = attempt;
      attempt.catch(() => {
        if (client === attempt) client = void 0;
      });
    }
    return client;
  };
  return {
    async forModule(moduleName) {
      if (closed) throw closedError();
      const name = checkModuleName(moduleName);
      const dbName = `${prefix}${name}`;
      if (dbName.length > MAX_MONGO_DB_NAME) {
        throw new DbError("DB_INVALID_NAME", `Database name ${dbName} is over ${MAX_MONGO_DB_NAME} characters; shorten the module name or dbPrefix.`);
      }
      let db = dbs.get(name);
      if (db === void 0) {
        let c;
        try {
          c = await connect();
        } catch (err) {
          throw mapMongoError(err, "admin", dbName);
        }
        db = dbs.get(name) ?? new MongoDbAdapter(c.db(dbName));
        dbs.set(name, db);
      }
      return db;
    },
    async close() {
      closed = true;
      const c = await client?.catch(() => void 0);
      client = void 0;
      dbs.clear();
      await c?.close();
    }
  };
}

// ../resources/log.ts
var LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
function createLogger(sink, fields = {}, level = "info") {
  const state = { level };
  const make = (bound) => {
    const emit = (lvl) => (msg, extra) => {
      if (LOG_LEVELS[lvl] < LOG_LEVELS[state.level]) return;
      sink({ level: lvl, time: (/* @__PURE__ */ new Date()).toISOString(), msg, ...bound, ...extra });
    };
    return {
      debug: emit("debug"),
      info: emit("info"),
      warn: emit("warn"),
      error: emit("error"),
      child: (more) => make({ ...bound, ...more }),
      get level() {
        return state.level;
      },
      set level(l) {
        state.level = l;
      }
    };
  };
  return make(fields);
}

// log-rate.ts
var LogRateLimiter = class {
  constructor(perSecond) {
    this.perSecond = perSecond;
    this.#tokens = perSecond;
  }
  perSecond;
  #tokens;
  #last = performance.now();
  #dropped = 0;
  /** True if one more record may be written now. */
  take() {
    const now = performance.now();
    this.#tokens = Math.min(this.perSecond, this.#tokens + (now - this.#last) / 1e3 * this.perSecond);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#dropped++;
    return false;
  }
  /** Records dropped since the last call. */
  takeDropped() {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }
};

// protocol.ts
function toWireError(e) {
  if (typeof e === "object" && e !== null && typeof e.code === "string") {
    const x = e;
    return {
      code: x.code,
      message: String(x.message),
      parameter: typeof x.parameter === "string" ? x.parameter : void 0,
      suggestions: Array.isArray(x.suggestions) ? x.suggestions.map(String) : void 0,
      analytic: typeof x.analytic === "string" ? x.analytic : void 0
    };
  }
  return { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) };
}
function fromWireError(e, allowed) {
  const code = isErrorCode(e.code) && (allowed === void 0 || allowed.has(e.code)) ? e.code : "INTERNAL";
  return new InsightsError(code, String(e.message), {
    parameter: e.parameter,
    suggestions: e.suggestions,
    analytic: e.analytic
  });
}

// child-env.ts
var HostRequests = class {
  constructor(out2) {
    this.out = out2;
  }
  out;
  #next = 0;
  #pending = /* @__PURE__ */ new Map();
  ask(message, signal) {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        this.out.push({ type: "mesh-cancel", id });
        reject(signal.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (v) => (signal?.removeEventListener("abort", onAbort), resolve(v)),
        reject: (e) => (signal?.removeEventListener("abort", onAbort), reject(e))
      });
      this.out.push({ ...message, id });
    });
  }
  settle(m) {
    const p = this.#pending.get(m.id);
    if (p === void 0) return;
    this.#pending.delete(m.id);
    if (m.type === "done") p.resolve(m.value);
    else p.reject(fromWireError(m.error));
  }
};
var RemoteMesh = class {
  constructor(requests2) {
    this.requests = requests2;
  }
  requests;
  #names = { query: [], view: [] };
  setNames(query2, view2) {
    this.#names = { query: [...query2], view: [...view2] };
  }
  names(kind) {
    return this.#names[kind];
  }
  invoke(kind, name, args, options) {
    const deadline = options.deadline ?? (options.timeoutMs === void 0 ? void 0 : Date.now() + options.timeoutMs);
    return this.requests.ask({ type: "mesh", kind, name, args, deadline }, options.signal);
  }
};
var RECORD_KEYS = /* @__PURE__ */ new Set(["level", "time", "msg", "module", "node"]);
function childEnvironment(init, out2, requests2, mesh2) {
  const limiter = new LogRateLimiter(init.maxLogRecordsPerSecond);
  let reporting = false;
  const log = createLogger(
    (record) => {
      if (!limiter.take()) {
        if (!reporting) {
          reporting = true;
          setTimeout(() => {
            reporting = false;
            out2.push({ type: "log", level: "warn", msg: "module log throttled", fields: { dropped: limiter.takeDropped() } });
          }, 1e3).unref();
        }
        return;
      }
      let fields;
      for (const k in record)
        if (!RECORD_KEYS.has(k)) (fields ??= {})[k] = record[k];
      out2.push({ type: "log", level: record.level, msg: record.msg, fields });
    },
    {},
    init.logLevel
  );
  const makeFileUrl = ((_module, name, ttlSeconds) => requests2.ask({ type: "file-url", name, ttlSeconds }));
  return {
    dataDir: init.dataDir,
    db: createDbProvider(init.db),
    makeFileUrl,
    mesh: mesh2,
    log,
    ...init.emit ? { emit: async (event) => void await requests2.ask({ type: "emit", event }) } : {},
    ...init.property ? { property: (event, name) => requests2.ask({ type: "event-property", name, event }) } : {},
    ...init.cacheLimits === void 0 ? {} : { cacheLimits: init.cacheLimits }
  };
}

// child-port.ts
import { isMainThread, parentPort } from "node:worker_threads";

// outbox.ts
var Outbox = class {
  #queue = [];
  #scheduled = false;
  #post;
  constructor(post) {
    this.#post = post;
  }
  push(message) {
    this.#queue.push(message);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
    }
  }
  /** Posts what is queued now (also called before exiting). */
  flush = () => {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#post(batch);
  };
  /** Drops what is queued (the other side is gone). */
  clear() {
    this.#queue = [];
  }
};
function postSafely(batch, post) {
  try {
    post(batch);
    return;
  } catch {
  }
  for (const m of batch) {
    try {
      post([m]);
    } catch (e) {
      const id = m.id;
      if (m.type === "done" && typeof id === "number")
        post([{ type: "failed", id, error: { code: "INTERNAL", message: `the result cannot be sent: ${e.message}` } }]);
    }
  }
}

// child-port.ts
function openParentPort() {
  if (!isMainThread && parentPort !== null) {
    const port2 = parentPort;
    return {
      isWorker: true,
      post: (batch) => postSafely(batch, (b) => port2.postMessage(b)),
      onBatch: (handler) => port2.on("message", handler),
      // postMessage has queued the data already; exiting the thread delivers it.
      exit: (code) => process.exit(code)
    };
  }
  if (typeof process.send !== "function") throw new Error("the sandbox runtime must be started by a module host");
  process.on("disconnect", () => process.exit(0));
  const send = (b, done) => {
    if (process.connected) process.send(b, void 0, void 0, done);
  };
  return {
    isWorker: false,
    post: (batch) => postSafely(batch, (b) => send(b)),
    onBatch: (handler) => process.on("message", handler),
    exit: (code) => {
      const bye = () => process.exit(code);
      setTimeout(bye, 1e3).unref();
      if (process.connected) send([], bye);
      else bye();
    }
  };
}

// lockdown.ts
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
function lockdown(isWorker, allowAddons) {
  const own = process.pid;
  const proc = process;
  const rawKill = proc._kill;
  if (typeof rawKill === "function")
    proc._kill = (pid, signal) => {
      if (isWorker || pid !== own) throw denied("signalling other processes");
      return rawKill.call(process, pid, signal);
    };
  proc._debugProcess = () => {
    throw denied("process._debugProcess");
  };
  if (!allowAddons)
    process.dlopen = () => {
      throw denied("loading native addons");
    };
  const setPriority = os.setPriority.bind(os);
  os.setPriority = ((a, b) => {
    if (b !== void 0 && a !== 0 && a !== own) throw denied("changing the priority of other processes");
    if (isWorker) throw denied("changing the priority of the node");
    return b === void 0 ? setPriority(a) : setPriority(a, b);
  });
  syncBuiltinESMExports();
}
function denied(what) {
  return Object.assign(new Error(`${what} is not allowed in a module sandbox`), { code: "ERR_ACCESS_DENIED" });
}

// result-size.ts
function exceedsSize(value, limit) {
  let total = 0;
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    switch (typeof v) {
      case "string":
        total += v.length + 2;
        break;
      case "number":
      case "bigint":
        total += 8;
        break;
      case "boolean":
        total += 5;
        break;
      case "object":
        if (v === null) total += 4;
        else if (ArrayBuffer.isView(v)) total += v.byteLength;
        else if (v instanceof ArrayBuffer) total += v.byteLength;
        else if (Array.isArray(v)) {
          total += 2 + v.length;
          if (total > limit) return true;
          for (const x of v) stack.push(x);
        } else if (v instanceof Map || v instanceof Set) {
          total += 2 + v.size;
          if (total > limit) return true;
          for (const x of v) stack.push(x);
        } else {
          total += 2;
          for (const k in v) {
            total += k.length + 4;
            if (total > limit) return true;
            stack.push(v[k]);
          }
        }
        break;
      default:
        total += 4;
    }
    if (total > limit) return true;
  }
  return false;
}

// child-main.ts
var port = openParentPort();
var out = new Outbox((batch) => port.post(batch));
var requests = new HostRequests(out);
var mesh = new RemoteMesh(requests);
var calls = /* @__PURE__ */ new Map();
var runtime;
var env;
var maxResultBytes = Infinity;
port.onBatch((batch) => {
  for (const m of batch) handle(m);
});
function handle(m) {
  switch (m.type) {
    case "init":
      void start(m);
      return;
    case "call":
      runCall(m);
      return;
    case "events":
      cancellable(m.id, (signal) => need().handleEvents(m.handler, m.events, m.deadline, signal));
      return;
    case "job":
      cancellable(m.id, (signal) => need().runJob(m.job, m.deadline, signal));
      return;
    case "normalise":
      answer(m.id, async () => need().normalise(m.raws));
      return;
    case "property":
      answer(m.id, async () => need().computeProperty(m.name, m.event));
      return;
    case "cancel":
      calls.get(m.id)?.abort(new InsightsError(m.code, m.code === "CANCELLED" ? "call cancelled by the caller" : "deadline exceeded"));
      return;
    case "read-file":
      answer(m.id, () => need().files.read(m.name));
      return;
    case "sweep-files":
      answer(m.id, () => need().files.sweep());
      return;
    case "ping":
      out.push({ type: "pong", seq: m.seq });
      return;
    case "names":
      mesh.setNames(m.query, m.view);
      return;
    case "close":
      void close();
      return;
    case "done":
    case "failed":
      requests.settle(m);
      return;
  }
}
async function start(init) {
  lockdown(port.isWorker, init.allowAddons);
  maxResultBytes = init.maxResultBytes;
  try {
    const def = await loadModuleDefinition(init.bundle);
    env = childEnvironment(init, out, requests, mesh);
    runtime = await ModuleRuntime.create(def, env);
  } catch (e) {
    const cause = e.cause;
    out.push({ type: "load-failed", message: cause instanceof Error ? cause.message : e.message });
    out.flush();
    port.exit(1);
    return;
  }
  out.push({ type: "ready", manifest: runtime.manifest });
  const stats = () => {
    const mem = process.memoryUsage();
    out.push({ type: "stats", rss: mem.rss, heapUsed: mem.heapUsed });
  };
  stats();
  setInterval(stats, init.statsIntervalMs).unref();
}
function runCall(m) {
  const rt = runtime;
  if (rt === void 0) {
    out.push({ type: "failed", id: m.id, error: { code: "UNAVAILABLE", message: "the module is not loaded yet" } });
    return;
  }
  const controller = new AbortController();
  calls.set(m.id, controller);
  const onProgress = m.progress ? (fraction, message) => out.push({ type: "progress", id: m.id, fraction, message }) : void 0;
  rt.call({ kind: m.kind, name: m.name, args: m.args, deadline: m.deadline }, { signal: controller.signal, onProgress }).then(
    (outcome) => {
      calls.delete(m.id);
      if (exceedsSize(outcome.type === "json" ? outcome.value : outcome, maxResultBytes)) {
        const analytic = `${rt.manifest.name}.${m.name}`;
        const message = `${analytic} returned a result larger than its limit of ${maxResultBytes} bytes (maxResultBytes)`;
        out.push({ type: "failed", id: m.id, error: { code: "RESOURCE_EXHAUSTED", message, analytic } });
      } else out.push({ type: "done", id: m.id, value: outcome });
    },
    (e) => {
      calls.delete(m.id);
      out.push({ type: "failed", id: m.id, error: toWireError(e) });
    }
  );
}
function cancellable(id, work) {
  const controller = new AbortController();
  calls.set(id, controller);
  answer(id, () => work(controller.signal), () => calls.delete(id));
}
function need() {
  if (runtime === void 0) throw new InsightsError("UNAVAILABLE", "the module is not loaded yet");
  return runtime;
}
function answer(id, work, after) {
  Promise.resolve().then(work).then(
    (value) => out.push({ type: "done", id, value }),
    (e) => out.push({ type: "failed", id, error: toWireError(e) })
  ).finally(after);
}
async function close() {
  await env?.db.close().catch(() => void 0);
  out.flush();
  port.exit(0);
}
