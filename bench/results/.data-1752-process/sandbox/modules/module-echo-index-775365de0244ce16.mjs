import { createRequire as __insightsCreateRequire } from 'node:module'; const require = __insightsCreateRequire(import.meta.url);

// index.ts
import { randomBytes } from "node:crypto";

// ../../../packages/sdk/src/index.ts
import { z } from "file:///work/main/node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.js";

// ../../../packages/sdk/src/module.ts
var SDK_CONTRACT_VERSION = 1;
var MODULE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
var ANALYTIC_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
function defineModule(init) {
  if (!MODULE_NAME.test(init.name))
    throw new TypeError(
      `defineModule: name "${init.name}" must be lower-case letters, digits, "-" or "_", starting with a letter`
    );
  const def = {
    name: init.name,
    version: init.version ?? "0.0.0",
    ...init.description === void 0 ? {} : { description: init.description },
    queries: init.queries ?? {},
    views: init.views ?? {},
    eventHandlers: init.eventHandlers ?? {},
    eventProperties: init.eventProperties ?? {},
    jobs: init.jobs ?? {},
    normalisers: init.normalisers ?? {},
    sdkContract: SDK_CONTRACT_VERSION
  };
  for (const [section, entries] of Object.entries({ queries: def.queries, views: def.views, jobs: def.jobs }))
    for (const [name, a] of Object.entries(entries))
      for (const n of [name, ...a.aliases ?? []])
        if (!ANALYTIC_NAME.test(n))
          throw new TypeError(`defineModule(${init.name}): ${section} name "${n}" is not a valid identifier`);
  return Object.freeze(def);
}

// ../../../packages/sdk/src/analytic.ts
function query(init) {
  return { ...init, kind: "query", params: init.params ?? {} };
}
function view(init) {
  return { ...init, kind: "view", params: init.params ?? {} };
}

// ../../../packages/sdk/src/view-result.ts
var png = (data) => ({ type: "png", data });

// index.ts
var BIG_JSON = Array.from({ length: 9e3 }, (_, i) => ({ learner: `learner-${i}`, course: "MITx/6.002x/2013_Spring", grade: i % 100 / 100, attempts: i % 7 }));
var BIG_PNG = new Uint8Array(randomBytes(1024 * 1024));
var index_default = defineModule({
  name: "echo",
  queries: {
    echo: query({ params: { x: z.number() }, run: ({ x }) => ({ x }) }),
    big_json: query({ run: () => BIG_JSON })
  },
  views: {
    big_png: view({ run: () => png(BIG_PNG) })
  }
});
export {
  index_default as default
};
//# sourceMappingURL=data:application/json;base64,ewogICJ2ZXJzaW9uIjogMywKICAic291cmNlcyI6IFsiLi4vLi4vLi4vLi4vbW9kdWxlcy9lY2hvL2luZGV4LnRzIiwgIi4uLy4uLy4uLy4uLy4uL3BhY2thZ2VzL3Nkay9zcmMvaW5kZXgudHMiLCAiLi4vLi4vLi4vLi4vLi4vcGFja2FnZXMvc2RrL3NyYy9tb2R1bGUudHMiLCAiLi4vLi4vLi4vLi4vLi4vcGFja2FnZXMvc2RrL3NyYy9hbmFseXRpYy50cyIsICIuLi8uLi8uLi8uLi8uLi9wYWNrYWdlcy9zZGsvc3JjL3ZpZXctcmVzdWx0LnRzIl0sCiAgIm1hcHBpbmdzIjogIjs7O0FBQUEsU0FBUyxtQkFBbUI7OztBQ0M1QixTQUFTLFNBQVM7OztBQ2VYLElBQU0sdUJBQXVCO0FBRXBDLElBQU0sY0FBYztBQUNwQixJQUFNLGdCQUFnQjtBQW9DZixTQUFTLGFBSWQsTUFBc0Q7QUFDdEQsTUFBSSxDQUFDLFlBQVksS0FBSyxLQUFLLElBQUk7QUFDN0IsVUFBTSxJQUFJO0FBQUEsTUFDUix1QkFBdUIsS0FBSyxJQUFJO0FBQUEsSUFDbEM7QUFDRixRQUFNLE1BQWlDO0FBQUEsSUFDckMsTUFBTSxLQUFLO0FBQUEsSUFDWCxTQUFTLEtBQUssV0FBVztBQUFBLElBQ3pCLEdBQUksS0FBSyxnQkFBZ0IsU0FBWSxDQUFDLElBQUksRUFBRSxhQUFhLEtBQUssWUFBWTtBQUFBLElBQzFFLFNBQVMsS0FBSyxXQUFZLENBQUM7QUFBQSxJQUMzQixPQUFPLEtBQUssU0FBVSxDQUFDO0FBQUEsSUFDdkIsZUFBZSxLQUFLLGlCQUFpQixDQUFDO0FBQUEsSUFDdEMsaUJBQWlCLEtBQUssbUJBQW1CLENBQUM7QUFBQSxJQUMxQyxNQUFNLEtBQUssUUFBUSxDQUFDO0FBQUEsSUFDcEIsYUFBYSxLQUFLLGVBQWUsQ0FBQztBQUFBLElBQ2xDLGFBQWE7QUFBQSxFQUNmO0FBQ0EsYUFBVyxDQUFDLFNBQVMsT0FBTyxLQUFLLE9BQU8sUUFBUSxFQUFFLFNBQVMsSUFBSSxTQUFTLE9BQU8sSUFBSSxPQUFPLE1BQU0sSUFBSSxLQUFLLENBQUM7QUFDeEcsZUFBVyxDQUFDLE1BQU0sQ0FBQyxLQUFLLE9BQU8sUUFBUSxPQUEwRDtBQUMvRixpQkFBVyxLQUFLLENBQUMsTUFBTSxHQUFJLEVBQUUsV0FBVyxDQUFDLENBQUU7QUFDekMsWUFBSSxDQUFDLGNBQWMsS0FBSyxDQUFDO0FBQ3ZCLGdCQUFNLElBQUksVUFBVSxnQkFBZ0IsS0FBSyxJQUFJLE1BQU0sT0FBTyxVQUFVLENBQUMsNkJBQTZCO0FBQzFHLFNBQU8sT0FBTyxPQUFPLEdBQUc7QUFDMUI7OztBQzJCTyxTQUFTLE1BQThDLE1BQThDO0FBQzFHLFNBQU8sRUFBRSxHQUFHLE1BQU0sTUFBTSxTQUFTLFFBQVEsS0FBSyxVQUFXLENBQUMsRUFBUTtBQUNwRTtBQUdPLFNBQVMsS0FBZ0MsTUFBc0M7QUFDcEYsU0FBTyxFQUFFLEdBQUcsTUFBTSxNQUFNLFFBQVEsUUFBUSxLQUFLLFVBQVcsQ0FBQyxFQUFRO0FBQ25FOzs7QUNuRk8sSUFBTSxNQUFNLENBQUMsVUFBaUMsRUFBRSxNQUFNLE9BQU8sS0FBSzs7O0FKN0J6RSxJQUFNLFdBQVcsTUFBTSxLQUFLLEVBQUUsUUFBUSxJQUFLLEdBQUcsQ0FBQyxHQUFHLE9BQU8sRUFBRSxTQUFTLFdBQVcsQ0FBQyxJQUFJLFFBQVEsMkJBQTJCLE9BQVEsSUFBSSxNQUFPLEtBQUssVUFBVSxJQUFJLEVBQUUsRUFBRTtBQUVqSyxJQUFNLFVBQVUsSUFBSSxXQUFXLFlBQVksT0FBTyxJQUFJLENBQUM7QUFHdkQsSUFBTyxnQkFBUSxhQUFhO0FBQUEsRUFDMUIsTUFBTTtBQUFBLEVBQ04sU0FBUztBQUFBLElBQ1AsTUFBTSxNQUFNLEVBQUUsUUFBUSxFQUFFLEdBQUcsRUFBRSxPQUFPLEVBQUUsR0FBRyxLQUFLLENBQUMsRUFBRSxFQUFFLE9BQU8sRUFBRSxFQUFFLEdBQUcsQ0FBQztBQUFBLElBQ2xFLFVBQVUsTUFBTSxFQUFFLEtBQUssTUFBTSxTQUFTLENBQUM7QUFBQSxFQUN6QztBQUFBLEVBQ0EsT0FBTztBQUFBLElBQ0wsU0FBUyxLQUFLLEVBQUUsS0FBSyxNQUFNLElBQUksT0FBTyxFQUFFLENBQUM7QUFBQSxFQUMzQztBQUNGLENBQUM7IiwKICAibmFtZXMiOiBbXQp9Cg==
