/**
 * The model page: what a model is, a form to try records (prediction and SHAP waterfall at once), and
 * live drift. Everything comes from the server's own routes (api.ts): the card, what-if (the model's own
 * pipeline, not counted as traffic), /drift; so the page shows what the server serves, and needs neither
 * the model file nor a WebAssembly-enabled CSP.
 */
import type { DriftReport } from "../../drift/report.js";
import { aboutSection, fieldsSection, taskName } from "./about.js";
import { ApiError, api, hasKey, keyRemembered, setKey } from "./api.js";
import type { ModelCard, WhatIf } from "./card.js";
import { h, put } from "./dom.js";
import { driftView } from "./drift.js";
import { recordForm } from "./form.js";
import { int } from "./format.js";
import { resultView } from "./result.js";

const root = document.getElementById("app") as HTMLElement;
const DRIFT_EVERY_MS = 5000;

interface ModelSummary {
  name: string;
  version: string;
  objective: string;
  engine: string;
  fields: unknown[];
  sha256: string;
}

/** The page's model: /models/{name}, or at / the server's only model (several: the list). */
function modelInPath(): string | undefined {
  const m = /^\/models\/([^/]+)\/?$/.exec(location.pathname);
  return m ? decodeURIComponent(m[1]) : undefined;
}

function keyControl(): HTMLElement {
  if (!hasKey()) return h("span");
  return h(
    "span",
    { class: "key-state" },
    keyRemembered() ? "API key kept in this tab " : "API key in memory ",
    h(
      "button",
      {
        type: "button",
        class: "link",
        onClick: () => {
          setKey(undefined);
          location.reload();
        },
      },
      "forget",
    ),
  );
}

function header(title: string, sub: (string | Node)[] = []): HTMLElement {
  return h(
    "header",
    { class: "top" },
    h(
      "div",
      { class: "brand" },
      h("a", { href: "/", class: "home", "aria-label": "all models" }, "◆"),
      h("h1", null, title),
      sub,
    ),
    h("nav", null, keyControl(), h("a", { href: "/docs" }, "API docs"), h("a", { href: "/redoc" }, "ReDoc")),
  );
}

function errorBox(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  return h(
    "section",
    { class: "card error-box", role: "alert" },
    h("h2", null, "Something went wrong"),
    h("p", null, message),
  );
}

/** Asks for an API key, then starts again. */
function askForKey(wrong: boolean): void {
  document.title = "API key · lightgbm-node";
  const input = h("input", {
    type: "password",
    name: "api-key",
    autocomplete: "off",
    required: true,
    "aria-label": "API key",
  });
  const remember = h("input", { type: "checkbox", id: "remember" });
  remember.checked = true;
  put(
    root,
    header("lightgbm-node"),
    h(
      "section",
      { class: "card key-card" },
      h("h2", null, "This server needs an API key"),
      h(
        "p",
        null,
        "Its routes answer only requests with ",
        h("code", null, "Authorization: Bearer <key>"),
        ". The key stays in this tab: in memory, and with the box ticked in the tab's session storage until it closes.",
      ),
      wrong ? h("p", { class: "field-error" }, "That key was not accepted.") : null,
      h(
        "form",
        {
          class: "key-form",
          onSubmit: (e: Event) => {
            e.preventDefault();
            setKey(input.value.trim(), remember.checked);
            void start();
          },
        },
        input,
        h("label", { for: "remember", class: "remember" }, remember, " remember in this tab"),
        h("button", { type: "submit" }, "Use key"),
      ),
    ),
  );
  input.focus();
}

async function start(): Promise<void> {
  try {
    const name = modelInPath();
    if (name !== undefined) return await showModel(name);
    const { models } = await api<{ models: ModelSummary[] }>("/models");
    if (models.length === 1) return await showModel(models[0].name);
    showIndex(models);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return askForKey(hasKey());
    put(root, header("lightgbm-node"), errorBox(err));
  }
}

function showIndex(models: ModelSummary[]): void {
  document.title = "Models · lightgbm-node";
  // /models lists every version; a model's page shows the one requests get by default.
  const byName = new Map<string, ModelSummary[]>();
  for (const m of models) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  put(
    root,
    header("Models", [h("span", { class: "muted" }, `${byName.size} served`)]),
    h(
      "section",
      { class: "model-list" },
      [...byName].map(([name, versions]) => {
        const m = versions[versions.length - 1];
        const which =
          versions.length > 1
            ? `versions ${versions.map((v) => v.version).join(", ")}`
            : `version ${m.version}`;
        return h(
          "a",
          { class: "card model-link", href: `/models/${encodeURIComponent(name)}` },
          h("h2", null, name),
          h("p", null, `${m.objective} · ${m.fields.length} fields · ${which} · ${m.engine} engine`),
          h("p", { class: "mono muted" }, `sha256 ${m.sha256.slice(0, 16)}…`),
        );
      }),
    ),
  );
}

async function showModel(name: string): Promise<void> {
  const path = `/models/${encodeURIComponent(name)}`;
  const card = await api<ModelCard>(`${path}/card`);
  document.title = `${card.name} · lightgbm-node`;

  const result = resultView(card);
  let sent = 0;
  let inFlight = false;
  let pending = false;
  // One request at a time; changes made meanwhile are sent together when it answers (the latest record).
  const update = async () => {
    if (inFlight) {
      pending = true;
      return;
    }
    inFlight = true;
    const record = form.record();
    const n = ++sent;
    try {
      const answer = await api<WhatIf>(`${path}/what-if`, record);
      form.showIssues([]);
      result.show(record, answer.prediction, answer.explanation);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        form.showIssues(err.body?.issues ?? []);
        result.invalid("The record is not valid: see the fields marked in the form.");
      } else if (err instanceof ApiError && err.status === 401) {
        return askForKey(true);
      } else result.invalid(err instanceof Error ? err.message : String(err));
    } finally {
      inFlight = false;
      root.dataset.updates = String(n);
    }
    if (pending) {
      pending = false;
      void update();
    }
  };
  const form = recordForm(card.fields, card.example, () => void update());

  const driftBody = h("div", { class: "drift-content" }, h("p", { class: "muted" }, "Loading…"));
  const driftStamp = h("span", { class: "muted stamp" });
  const refreshDrift = async () => {
    try {
      // Every model's report (a model without live records yet is absent: no 404 to log in the console).
      const { models } = await api<{ models: Record<string, DriftReport> }>("/drift");
      const report = models[name];
      if (report) put(driftBody, driftView(report));
      else
        put(
          driftBody,
          h(
            "p",
            { class: "empty" },
            card.reference
              ? "No live records yet. As /predict and /predict/batch serve records, each field's distribution in the rolling window is compared here with the training data."
              : "This model's spec.json has no reference statistics, so its inputs cannot be compared with its training data.",
          ),
        );
    } catch (err) {
      put(driftBody, h("p", { class: "field-error" }, err instanceof Error ? err.message : String(err)));
    }
    driftStamp.textContent = `updated ${new Date().toLocaleTimeString()}`;
    root.dataset.driftUpdates = String(Number(root.dataset.driftUpdates ?? 0) + 1);
  };

  put(
    root,
    header(card.name, [
      h("span", { class: `badge task ${card.task}` }, taskName(card)),
      h("span", { class: "muted" }, `version ${card.version}`),
    ]),
    aboutSection(card),
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { class: "card try", id: "try" },
        h(
          "div",
          { class: "card-head" },
          h("h2", null, "Try a record"),
          h(
            "button",
            { type: "button", class: "link", onClick: () => form.reset() },
            "back to the typical record",
          ),
        ),
        h(
          "p",
          { class: "hint" },
          card.reference
            ? "Starts from a typical record of the training data (medians, most common values). "
            : "Starts from a record made from the spec (no training statistics: the middle of each range). ",
          "Every change is predicted at once by the served model; tries are not counted as traffic.",
        ),
        form.element,
      ),
      h(
        "section",
        { class: "card prediction", id: "prediction" },
        h("h2", null, "Prediction"),
        result.element,
      ),
    ),
    fieldsSection(card),
    h(
      "section",
      { class: "card drift", id: "drift" },
      h(
        "div",
        { class: "card-head" },
        h("h2", null, "Live drift"),
        h(
          "span",
          null,
          driftStamp,
          " ",
          h("button", { type: "button", class: "link", onClick: () => void refreshDrift() }, "refresh"),
        ),
      ),
      driftBody,
    ),
    h(
      "footer",
      null,
      `lightgbm-node · ${card.numFeatures} model columns · ${int(card.numIterations)} iterations · `,
      h("a", { href: `${path}/card` }, "this page's data (JSON)"),
      " · ",
      h("a", { href: "/openapi.json" }, "OpenAPI"),
    ),
  );
  void update();
  await refreshDrift();
  setInterval(() => {
    if (document.visibilityState === "visible") void refreshDrift();
  }, DRIFT_EVERY_MS);
}

void start();
