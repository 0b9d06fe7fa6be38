/**
 * Request counts and latency per method, route and status (lgbm_http_requests_total,
 * lgbm_http_request_duration_seconds).
 *
 * Recorded in onSend, when the response is ready to write, rather than in onResponse: an onResponse hook
 * makes fastify attach and remove a listener pair on every response (about 4,000 instructions a request,
 * 4% of a bare route), and onSend already knows the final status. The latency is therefore from the
 * request's routing (onRequest) to its serialized response, without the socket write.
 *
 * Each route's label and its series per (method, status) are resolved when the route is added (onRoute),
 * so a request does one small lookup instead of building a label key.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { CounterChild, HistogramChild } from "../fast-metrics.js";
import type { Metrics } from "../metrics.js";

declare module "fastify" {
  interface FastifyRequest {
    /** performance.now() when the request was routed. */
    startedAt: number;
  }
}

interface Series {
  count: CounterChild;
  latency: HistogramChild;
}

/** The series of one route label, per method and status code (made on first use). */
function routeSeries(metrics: Metrics, route: string) {
  const byKey = new Map<string, Series>();
  // Most responses of a route repeat the last method and status: that one is kept at hand.
  let lastMethod = "";
  let lastStatus = 0;
  let last: Series | undefined;
  return (method: string, status: number): Series => {
    if (last !== undefined && status === lastStatus && method === lastMethod) return last;
    const key = method + status;
    let s = byKey.get(key);
    if (!s) {
      const code = String(status);
      s = {
        count: metrics.requests.child(method, route, code),
        latency: metrics.latency.child(method, route, code),
      };
      byKey.set(key, s);
    }
    lastMethod = method;
    lastStatus = status;
    last = s;
    return s;
  };
}

type Recorder = (
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, payload: unknown) => void,
) => void;

function recorder(metrics: Metrics, route: string): Recorder {
  const series = routeSeries(metrics, route);
  return (req, reply, payload, done) => {
    const s = series(req.method, reply.statusCode);
    s.count.inc();
    s.latency.observe((performance.now() - req.startedAt) / 1000);
    done(null, payload);
  };
}

/**
 * Records every response of `app`: routes through their own onSend hook, unmatched requests (404s, which
 * no route sees) through the application's, as route "unmatched". Register before any route.
 */
export function registerRequestMetrics(
  // Any fastify instance, whatever its logger type (the server's is pino's Logger).
  // biome-ignore lint/suspicious/noExplicitAny: fastify's own generic parameters
  app: FastifyInstance<any, any, any, any, any>,
  metrics: Metrics,
): void {
  app.decorateRequest("startedAt", 0);
  app.addHook("onRequest", (req, _reply, done) => {
    req.startedAt = performance.now();
    done();
  });
  app.addHook("onRoute", (route) => {
    const hooks =
      route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...hooks, recorder(metrics, route.url)];
  });
  const unmatched = recorder(metrics, "unmatched");
  app.addHook("onSend", (req, reply, payload, done) => {
    if (req.is404) unmatched(req, reply, payload, done);
    else done(null, payload);
  });
}

/** registerRequestMetrics as a plugin of the application (register it before the routes). */
export const requestMetrics: FastifyPluginCallback<{ metrics: Metrics }> = fp<{ metrics: Metrics }>(
  (app, { metrics }, done) => {
    registerRequestMetrics(app, metrics);
    done();
  },
  { name: "request-metrics" },
);
