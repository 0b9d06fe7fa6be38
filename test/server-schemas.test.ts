/**
 * Schemas first, checked over real HTTP: every route the server registers is in the generated OpenAPI
 * document (and nothing else is), and every route answers what its schema says, for its successes and
 * its errors (responses validated with ajv against the route's own response schemas). The servers run
 * with the serialization check on (helpers.start), so no response schema drops or changes a field.
 */
import { join } from "node:path";
import { Ajv } from "ajv";
import type { RouteOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, FIXTURES, ROOT, start } from "./fixtures/server/helpers.js";

const BUNDLE = join(ROOT, "models/hr-attrition");
const KEY = "schema-test-key";
const auth = { authorization: `Bearer ${KEY}` };

interface Route {
  method: string;
  url: string;
  schema?: Record<string, any>;
}

const routes: Route[] = [];
const collect = (r: RouteOptions) => {
  for (const method of [r.method].flat())
    routes.push({ method, url: r.url, schema: r.schema as Route["schema"] });
};

let srv: RunningServer;
let limited: RunningServer;
beforeAll(async () => {
  srv = await start(BUNDLE, { docs: true }, {}, { onRoute: collect });
  limited = await start(BUNDLE, { docs: true, rateLimit: 2 }, { LGBM_API_KEYS: KEY });
});
afterAll(async () => {
  await srv?.close();
  await limited?.close();
});

const documented = () => routes.filter((r) => r.method !== "HEAD" && !r.schema?.hide);
const key = (method: string, url: string) => `${method} ${url.replace(/:(\w+)/g, "{$1}")}`;

describe("the OpenAPI document", () => {
  it("lists every route the server registered, and only those", async () => {
    const doc: any = await (await fetch(`${srv.url}/openapi.json`)).json();
    const inDoc = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const registered = documented().map((r) => key(r.method, r.url));
    expect(new Set(inDoc)).toEqual(new Set(registered));
    expect(inDoc).toHaveLength(new Set(inDoc).size);
    // What the issue found missing from the hand-built document of old, and the repository extension.
    for (const k of [
      "GET /models",
      "POST /v2/repository/index",
      "GET /drift",
      "GET /drift/{model}",
      "POST /v2/repository/models/{name}/unload",
    ]) {
      expect(inDoc).toContain(k);
    }
    // Hidden: the documentation's and the model page's own pages and files, nothing else.
    for (const r of routes.filter((r) => r.schema?.hide)) {
      expect(r.url).toMatch(/^\/(docs|redoc|openapi\.json|page\/|$)|^\/models\/:name$/);
    }
    // Every documented route declares its responses.
    for (const r of documented()) expect(r.schema?.response, key(r.method, r.url)).toBeTruthy();
  });

  it("describes the model's record once, under its own name, with a real example", async () => {
    const doc: any = await (await fetch(`${srv.url}/openapi.json`)).json();
    const record = doc.components.schemas["hr-attrition_Record"];
    expect(Object.keys(record.properties)).toEqual(Object.keys(CLASSIC));
    expect(record.examples[0]).toMatchObject({ sales: expect.any(String) });
    expect(doc.paths["/predict"].post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/hr-attrition_Record",
    });
    // the example response is the model's own answer to the example record
    const example = doc.paths["/predict"].post.responses["200"].content["application/json"].example;
    const answer = await fetch(`${srv.url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(record.examples[0]),
    });
    expect(await answer.json()).toEqual(example);
  });
});

interface Call {
  method: string;
  /** The route's url as registered (the schema to validate with). */
  route: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  server?: () => RunningServer;
}

const bad = { ...CLASSIC, salary: "huge" };
const row = Array(20).fill(0);
const fields = (n = 1) =>
  Object.entries(CLASSIC).map(([name, v]) => ({
    name,
    shape: [n],
    datatype: typeof v === "string" ? "BYTES" : Number.isInteger(v) ? "INT64" : "FP64",
    data: Array(n).fill(v),
  }));

const CALLS: Call[] = [
  { method: "GET", route: "/healthz", path: "/healthz", status: 200 },
  { method: "GET", route: "/readyz", path: "/readyz", status: 200 },
  { method: "GET", route: "/metrics", path: "/metrics", status: 200 },
  { method: "GET", route: "/models", path: "/models", status: 200 },
  { method: "POST", route: "/predict", path: "/predict", body: CLASSIC, status: 200 },
  { method: "POST", route: "/predict", path: "/predict", body: bad, status: 422 },
  { method: "POST", route: "/predict", path: "/predict", body: [CLASSIC], status: 422 },
  { method: "POST", route: "/predict", path: "/predict", body: "{", status: 400 },
  { method: "POST", route: "/predict/batch", path: "/predict/batch", body: [CLASSIC, CLASSIC], status: 200 },
  { method: "POST", route: "/predict/batch", path: "/predict/batch", body: [CLASSIC, bad], status: 422 },
  { method: "POST", route: "/explain", path: "/explain", body: CLASSIC, status: 200 },
  { method: "POST", route: "/explain", path: "/explain", body: bad, status: 422 },
  {
    method: "POST",
    route: "/models/:name/predict",
    path: "/models/hr-attrition/predict",
    body: CLASSIC,
    status: 200,
  },
  {
    method: "POST",
    route: "/models/:name/predict",
    path: "/models/nope/predict",
    body: CLASSIC,
    status: 404,
  },
  {
    method: "POST",
    route: "/models/:name/predict/batch",
    path: "/models/hr-attrition/predict/batch",
    body: { records: [CLASSIC] },
    status: 200,
  },
  {
    method: "POST",
    route: "/models/:name/explain",
    path: "/models/hr-attrition/explain",
    body: CLASSIC,
    status: 200,
  },
  { method: "GET", route: "/drift", path: "/drift", status: 200 },
  { method: "GET", route: "/drift/:model", path: "/drift/hr-attrition", status: 200 },
  { method: "GET", route: "/drift/:model", path: "/drift/nope", status: 404 },
  { method: "GET", route: "/v2", path: "/v2", status: 200 },
  { method: "GET", route: "/v2/health/live", path: "/v2/health/live", status: 200 },
  { method: "GET", route: "/v2/health/ready", path: "/v2/health/ready", status: 200 },
  { method: "GET", route: "/v2/models/:name", path: "/v2/models/hr-attrition", status: 200 },
  { method: "GET", route: "/v2/models/:name", path: "/v2/models/nope", status: 404 },
  { method: "GET", route: "/v2/models/:name/ready", path: "/v2/models/hr-attrition/ready", status: 200 },
  { method: "GET", route: "/v2/models/:name/ready", path: "/v2/models/nope/ready", status: 404 },
  {
    method: "GET",
    route: "/v2/models/:name/versions/:version",
    path: "/v2/models/hr-attrition/versions/1",
    status: 200,
  },
  {
    method: "GET",
    route: "/v2/models/:name/versions/:version/ready",
    path: "/v2/models/hr-attrition/versions/1/ready",
    status: 200,
  },
  {
    method: "POST",
    route: "/v2/models/:name/infer",
    path: "/v2/models/hr-attrition/infer",
    body: { id: "7", inputs: fields(2) },
    status: 200,
  },
  {
    method: "POST",
    route: "/v2/models/:name/infer",
    path: "/v2/models/hr-attrition/infer",
    body: { inputs: [{ name: "sales", shape: [1], datatype: "BYTES", data: [1] }] },
    status: 400,
  },
  {
    method: "POST",
    route: "/v2/models/:name/infer",
    path: "/v2/models/hr-attrition/infer",
    body: { inputs: "none" },
    status: 400,
  },
  {
    method: "POST",
    route: "/v2/models/:name/versions/:version/infer",
    path: "/v2/models/hr-attrition/versions/1/infer",
    body: {
      inputs: [{ name: "x", shape: [1, 20], datatype: "FP32", data: row }],
      outputs: [{ name: "raw" }],
    },
    status: 200,
  },
  {
    method: "POST",
    route: "/v2/models/:name/versions/:version/infer",
    path: "/v2/models/hr-attrition/versions/9/infer",
    body: { inputs: fields() },
    status: 404,
  },
  { method: "POST", route: "/v2/repository/index", path: "/v2/repository/index", body: {}, status: 200 },
  {
    method: "POST",
    route: "/v2/repository/models/:name/unload",
    path: "/v2/repository/models/hr-attrition/unload",
    status: 200,
  },
  {
    method: "POST",
    route: "/v2/repository/models/:name/unload",
    path: "/v2/repository/models/hr-attrition/unload",
    status: 404,
  },
  {
    method: "POST",
    route: "/v2/repository/models/:name/load",
    path: "/v2/repository/models/hr-attrition/load",
    body: {},
    status: 200,
  },
  {
    method: "POST",
    route: "/v2/repository/models/:name/load",
    path: "/v2/repository/models/nope/load",
    status: 400,
  },
  // the model page's data
  { method: "GET", route: "/models/:name/card", path: "/models/hr-attrition/card", status: 200 },
  { method: "GET", route: "/models/:name/card", path: "/models/nope/card", status: 404 },
  {
    method: "POST",
    route: "/models/:name/what-if",
    path: "/models/hr-attrition/what-if",
    body: CLASSIC,
    status: 200,
  },
  {
    method: "POST",
    route: "/models/:name/what-if",
    path: "/models/hr-attrition/what-if",
    body: { ...CLASSIC, salary: "astronaut" },
    status: 422,
  },
  {
    method: "POST",
    route: "/models/:name/what-if",
    path: "/models/nope/what-if",
    body: CLASSIC,
    status: 404,
  },
  // the same API with keys and a rate limit of 2 a minute: 401, then 200, 200, 429
  { method: "POST", route: "/predict", path: "/predict", body: CLASSIC, status: 401, server: () => limited },
  { method: "GET", route: "/v2", path: "/v2", status: 401, server: () => limited },
  ...[200, 200, 429].map((status) => ({
    method: "POST",
    route: "/predict",
    path: "/predict",
    body: CLASSIC,
    headers: auth,
    status,
    server: () => limited,
  })),
  { method: "GET", route: "/v2", path: "/v2", headers: auth, status: 429, server: () => limited },
];

describe("every route answers what its schema says", () => {
  it("successes and errors, validated against the route's response schema", async () => {
    const ajv = new Ajv({ strict: false, allowUnionTypes: true, validateFormats: false });
    for (const s of Object.values(srv.app.getSchemas())) ajv.addSchema(s as object);
    const byRoute = new Map(routes.map((r) => [`${r.method} ${r.url}`, r]));
    const covered = new Set<string>();
    for (const c of CALLS) {
      const base = (c.server?.() ?? srv).url;
      const res = await fetch(base + c.path, {
        method: c.method,
        headers: {
          ...(c.body === undefined ? {} : { "content-type": "application/json" }),
          ...c.headers,
        },
        body: c.body === undefined ? undefined : typeof c.body === "string" ? c.body : JSON.stringify(c.body),
      });
      const label = `${c.method} ${c.path} → ${c.status}`;
      const text = await res.text();
      expect(res.status, `${label}: ${text}`).toBe(c.status);
      const route = byRoute.get(`${c.method} ${c.route}`);
      expect(route, label).toBeDefined();
      const declared = route?.schema?.response?.[c.status];
      expect(declared, `${label}: no response schema for ${c.status}`).toBeDefined();
      const schema = declared.content ? declared.content["application/json"]?.schema : declared;
      if (c.route === "/metrics") {
        expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      } else {
        const validate = ajv.compile(schema);
        const body = JSON.parse(text);
        expect(validate(body), `${label}: ${ajv.errorsText(validate.errors)}\n${text}`).toBe(true);
      }
      if (c.status < 300) covered.add(`${c.method} ${c.route}`);
    }
    // every documented route answered at least one success here
    for (const r of documented()) expect(covered, `${r.method} ${r.url}`).toContain(`${r.method} ${r.url}`);
  });
});

describe("a repository of models", () => {
  it("documents every model's record under /models/{name}, and the root routes only with one model", async () => {
    const repo = await start(join(FIXTURES, "repo"), { docs: true });
    try {
      const doc: any = await (await fetch(`${repo.url}/openapi.json`)).json();
      for (const m of ["hr", "iris", "price"]) expect(doc.components.schemas[`${m}_Record`]).toBeTruthy();
      expect(doc.paths["/predict"]).toBeUndefined();
      const body = doc.paths["/models/{name}/predict"].post.requestBody.content["application/json"].schema;
      expect(body.anyOf.map((s: { $ref: string }) => s.$ref)).toEqual(
        ["hr", "iris", "price"].map((m) => `#/components/schemas/${m}_Record`),
      );
    } finally {
      await repo.close();
    }
  });
});
