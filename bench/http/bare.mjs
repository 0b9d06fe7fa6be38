// Reference 1 for bench/http/run.mjs: a bare fastify route that parses the same JSON body and returns a
// constant. What /predict costs on top of this is validation, encoding, prediction, metrics and logging.
import Fastify from "fastify";

const port = Number(process.argv[2] ?? 8200);
const app = Fastify({ logger: false });
app.post("/predict", async (req) => {
  if (req.body === null || typeof req.body !== "object") throw new Error("bad body");
  return { prediction: 0, probability: 0.5 };
});
process.once("SIGTERM", () => app.close().then(() => process.exit(0)));
await app.listen({ host: "127.0.0.1", port });
process.stdout.write("ready\n");
