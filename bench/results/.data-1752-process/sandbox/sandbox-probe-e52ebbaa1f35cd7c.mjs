import { createRequire as __insightsCreateRequire } from 'node:module'; const require = __insightsCreateRequire(import.meta.url);

// ../loader.ts
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// ../../../sdk/src/index.ts
import { z } from "file:///work/main/node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.js";

// ../../../sdk/src/module.ts
var SDK_CONTRACT_VERSION = 1;
function isModuleDefinition(v) {
  return typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.sdkContract === "number" && typeof v.queries === "object";
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

// ../loader.ts
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
function valueAt(v, path2) {
  let cur = v;
  for (const k of path2) {
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

// child-port.ts
import { isMainThread, parentPort } from "node:worker_threads";

// outbox.ts
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

// probe-main.ts
var port = openParentPort();
port.onBatch((batch) => {
  for (const m of batch) if (m.type === "init") void probe(m.bundle, m.allowAddons);
});
async function probe(bundle, allowAddons) {
  lockdown(port.isWorker, allowAddons);
  try {
    const def = await loadModuleDefinition(bundle);
    port.post([{ type: "ready", manifest: buildManifest(def).manifest }]);
    port.exit(0);
  } catch (e) {
    const cause = e.cause;
    port.post([{ type: "load-failed", message: cause instanceof Error ? cause.message : e.message }]);
    port.exit(1);
  }
}
