// The README's "From a notebook to production" section runs as written: its Python is the Python the
// fixture script ran (verbatim), and its shell commands are run here one by one, with `npx lgbm` found
// in node_modules/.bin as after `npm install lightgbm-node`. Outputs shown as `# ...` lines under a
// command are compared with what it prints. Servers listen on a free port (LGBM_PORT=0) instead of 8000,
// so `localhost:8000` in a command is pointed there; Docker lines are not run (no Docker here).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const start = readme.indexOf("\n## From a notebook to production\n");
const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
const script = readFileSync(join(root, "test/fixtures/make_notebook_fixture.py"), "utf8");

interface Server {
  child: ChildProcess;
  port: number;
  out: string[];
}

const servers: Server[] = [];

/** Runs `npx lgbm serve ...` in the background; resolves with the port once it listens. */
function serve(command: string, cwd: string): Promise<Server> {
  const child = spawn("bash", ["-c", `exec ${command}`], {
    cwd,
    detached: true, // its own process group: npx and the server stop together
    env: { ...process.env, LGBM_PORT: "0", LGBM_LOG_FORMAT: "json" },
  });
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command}: no "server listening" line in 30 s\n${out.join("")}`)),
      30_000,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      out.push(chunk.toString());
      for (const line of out.join("").split("\n")) {
        if (!line.includes('"server listening"')) continue;
        clearTimeout(timer);
        const server = { child, port: JSON.parse(line).port as number, out };
        servers.push(server);
        resolve(server);
        return;
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => out.push(chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}\n${out.join("")}`));
    });
  });
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once("exit", r));
  try {
    process.kill(-server.child.pid!, "SIGTERM");
  } catch {
    return; // the group is gone already
  }
  await exited;
}

/**
 * A Python literal of JSON's kinds (dicts, lists, strings, numbers, True/False/None) as a value: quoted
 * strings kept, the three names and trailing commas outside them rewritten to JSON.
 */
function pythonLiteral(text: string): unknown {
  const parts = text.split(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/);
  const json = parts
    .map((part, i) => {
      if (i % 2 === 1)
        return part.startsWith("'") ? JSON.stringify(part.slice(1, -1).replace(/\\'/g, "'")) : part;
      return part
        .replace(/\bTrue\b/g, "true")
        .replace(/\bFalse\b/g, "false")
        .replace(/\bNone\b/g, "null")
        .replace(/,(\s*[}\]])/g, "$1");
    })
    .join("");
  return JSON.parse(json);
}

afterAll(async () => {
  for (const s of servers) await stop(s);
});

describe("README: from a notebook to production", () => {
  it("shows the Python the fixtures were made with, verbatim", () => {
    const python = blocks.filter((b) => b.lang === "python");
    expect(python).toHaveLength(3);
    for (const b of python) expect(script, b.code).toContain(`"""\\\n${b.code}"""`);
  });

  it("the Python requests client posts the record the curl command posts, to the same route", () => {
    // No Python in CI: the client is not run, but its record cannot drift from the curl body the
    // next test runs against a real server.
    const client = blocks.find((b) => b.lang === "python" && b.code.includes("import requests"));
    expect(client).toBeDefined();
    const dict = /^record = (\{[\s\S]*?\})\n/m.exec(client!.code);
    expect(dict, "a `record = {...}` dict").not.toBeNull();
    const curl = blocks
      .filter((b) => b.lang === "sh")
      .flatMap((b) => b.code.split("\n"))
      .find((l) => l.startsWith("curl "));
    expect(curl).toBeDefined();
    const body = JSON.parse(/ -d '(\{.*\})'/.exec(curl!)![1]);
    const record = pythonLiteral(dict![1]);
    expect(record).toEqual(body);
    expect(Object.keys(record as object)).toEqual(Object.keys(body));
    expect(client!.code).toContain('requests.post("http://localhost:8000/predict", json=record)');
    expect(curl).toMatch(/^curl -s localhost:8000\/predict /);
  });

  it("runs every shell command as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-readme-notebook-"));
    copyFileSync(join(root, "models/hr-attrition/data/hr.csv"), join(dir, "hr.csv"));
    // The model.txt of the README's second snippet (the fixture script ran it verbatim).
    copyFileSync(join(root, "test/fixtures/notebook/onehot/model.txt"), join(dir, "model.txt"));
    mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
    symlinkSync(join(root, "bin/lgbm.js"), join(dir, "node_modules/.bin/lgbm"));

    const lines = blocks.filter((b) => b.lang === "sh").flatMap((b) => b.code.trimEnd().split("\n"));
    let server: Server | undefined;
    let docsChecked = false;
    const ran: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const command = lines[i];
      if (command.startsWith("#")) continue;
      const shown = lines[i + 1]?.startsWith("# ") ? lines[i + 1].slice(2) : undefined;
      if (command.startsWith("docker ")) {
        ran.push("(docker: not run)");
        continue;
      }
      if (command.startsWith("npx lgbm serve ")) {
        if (server) await stop(server);
        server = await serve(command, dir);
        if (command.includes("--prediction-log")) {
          // Clients call /predict; the lines reach the log file.
          const record = JSON.parse(/-d '(\{.*\})'/.exec(lines.find((l) => l.startsWith("curl "))!)![1]);
          for (let k = 0; k < 3; k++) {
            const r = await fetch(`http://127.0.0.1:${server.port}/predict`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ ...record, satisfaction_level: 0.1 * (k + 1) }),
            });
            expect(r.status).toBe(200);
          }
          // Stopped (Ctrl-C) before the next command: the log is complete at shutdown.
          await stop(server);
          server = undefined;
          expect(readFileSync(join(dir, "predictions.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
        }
        ran.push(command);
        continue;
      }
      const resolved = server ? command.replaceAll("localhost:8000", `127.0.0.1:${server.port}`) : command;
      const { stdout, stderr } = await exec("bash", ["-c", resolved], { cwd: dir, maxBuffer: 16 << 20 });
      if (shown !== undefined) expect(`${stdout}\n${stderr}`.split("\n"), command).toContain(shown);
      ran.push(command);
      if (command.startsWith("npx lgbm drift ")) {
        expect(stdout).toMatch(/^3 rows\n/);
        for (const f of ["satisfaction_level", "sales", "salary"]) expect(stdout).toContain(f);
      }
      if (server && !docsChecked) {
        // Step 5's pages, on the server of step 3.
        const base = `http://127.0.0.1:${server.port}`;
        expect((await fetch(`${base}/docs`)).status).toBe(200);
        expect((await fetch(`${base}/redoc`)).status).toBe(200);
        const doc = await (await fetch(`${base}/openapi.json`)).text();
        expect(doc).toContain("product_mng");
        docsChecked = true;
      }
    }
    expect(ran).toEqual([
      expect.stringMatching(/^npx lgbm bundle /),
      "npx lgbm serve hr-attrition",
      expect.stringMatching(/^curl -s localhost:8000\/predict /),
      expect.stringMatching(/^npx lgbm serve hr-attrition --log-format json --prediction-log/),
      "npx lgbm drift --bundle hr-attrition --log predictions.jsonl",
      "(docker: not run)",
      "(docker: not run)",
    ]);
    expect(docsChecked).toBe(true);
  });
});
