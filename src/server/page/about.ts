/** What the model is: its identity, training and held-out metrics, and its fields with their importance. */
import type { FieldSpec } from "../../bundle/spec.js";
import type { ModelCard } from "./card.js";
import { h, s } from "./dom.js";
import { int, num, percent } from "./format.js";

const TASK_NAMES = {
  binary: "binary classification",
  multiclass: "multiclass classification",
  regression: "regression",
};

const METRIC_NAMES: Record<string, string> = {
  auc: "AUC",
  logloss: "log loss",
  binary_logloss: "log loss",
  multi_logloss: "log loss",
  accuracy: "accuracy",
  rmse: "RMSE",
  mae: "MAE",
  r2: "R²",
  l2: "L2",
  l1: "L1",
};

/** The parameters a person asks about first; the rest are behind "all parameters". */
const KEY_PARAMS = [
  "learning_rate",
  "num_leaves",
  "max_depth",
  "min_data_in_leaf",
  "feature_fraction",
  "bagging_fraction",
  "lambda_l1",
  "lambda_l2",
];

export function taskName(card: ModelCard): string {
  return TASK_NAMES[card.task];
}

function metricTiles(metrics: Record<string, number>, where: string): HTMLElement | null {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return null;
  return h(
    "div",
    { class: "metrics" },
    entries.map(([k, v]) =>
      h(
        "div",
        { class: "metric", "data-metric": k },
        h("span", { class: "metric-value" }, k === "accuracy" ? percent(v) : num(v, 4)),
        h("span", { class: "metric-name" }, METRIC_NAMES[k] ?? k),
      ),
    ),
    h("p", { class: "metric-where" }, where),
  );
}

function dl(rows: [string, Node | string][]): HTMLElement {
  return h(
    "dl",
    { class: "facts" },
    rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
  );
}

function params(all: Record<string, string>): HTMLElement {
  const key = KEY_PARAMS.filter((k) => k in all).map((k) => `${k} ${all[k]}`);
  return h(
    "div",
    null,
    key.length ? h("p", { class: "params" }, key.join(" · ")) : null,
    h(
      "details",
      null,
      h("summary", null, `all ${Object.keys(all).length} parameters`),
      h(
        "pre",
        { class: "param-list" },
        Object.entries(all).map(([k, v]) => `${k}: ${v}\n`),
      ),
    ),
  );
}

export function aboutSection(card: ModelCard): HTMLElement {
  const target = card.target?.name;
  const what =
    card.task === "regression"
      ? `Predicts ${target ?? "a value"}`
      : card.task === "binary"
        ? `Predicts the probability that ${target ?? "the label"} is ${String(card.target?.classes?.[1] ?? 1)}`
        : `Predicts which of ${card.numClasses} classes${target ? ` of ${target}` : ""} a record belongs to`;
  const facts: [string, Node | string][] = [
    ["model", h("span", { class: "mono", title: card.sha256 }, `sha256 ${card.sha256.slice(0, 16)}…`)],
    [
      "served",
      `version ${card.version} · ${card.engine} engine · loaded ${new Date(card.loadedAt).toLocaleString()}`,
    ],
    ["trees", `${int(card.numIterations)} boosting iterations · objective ${card.objective}`],
  ];
  let metrics: HTMLElement | null = null;
  let parameters: HTMLElement | null = null;
  const t = card.training;
  if (t) {
    const d = t.data;
    facts.push([
      "trained on",
      h(
        "span",
        null,
        `${d.file}: ${int(d.rows)} rows, ${int(d.trainRows)} to train, ${int(d.validRows)} held out (seed ${t.split.seed}) · LightGBM ${t.lightgbmVersion} · `,
        h("span", { class: "mono", title: d.sha256 }, `sha256 ${d.sha256.slice(0, 12)}…`),
      ),
    ]);
    if (t.earlyStopping)
      facts.push([
        "early stopping",
        `best iteration ${t.earlyStopping.bestIteration} by ${t.earlyStopping.metric}`,
      ]);
    metrics = metricTiles(t.metrics, `on the ${int(d.validRows)} held-out rows`);
    parameters = params(t.params);
  } else if (card.origin) {
    const o = card.origin;
    facts.push([
      "bundled by",
      `${o.tool} from ${o.model.file} and ${o.data.file} (${int(o.data.rows)} rows)`,
    ]);
    if (o.evaluation) {
      const ev = o.evaluation;
      const own = ev.file === o.data.file && ev.sha256 === o.data.sha256;
      metrics = metricTiles(
        ev.metrics,
        `on ${ev.file}, ${int(ev.rows)} rows${own ? " (the training data itself)" : ""}`,
      );
    }
    parameters = params(o.params);
  } else {
    facts.push([
      "spec",
      card.specSource === "model"
        ? "derived from a bare model.txt: no training record"
        : "spec.json without a training record",
    ]);
  }
  return h(
    "section",
    { class: "card about", id: "about" },
    h("p", { class: "lede" }, `${what}, from ${card.fields.length} fields.`),
    metrics,
    dl(facts),
    parameters,
  );
}

/** A field's type, range or categories in words. */
export function fieldRange(f: FieldSpec): string {
  switch (f.type) {
    case "category": {
      const list =
        f.values.length <= 12
          ? f.values.join(", ")
          : `${f.values.slice(0, 12).join(", ")}, … (${f.values.length} values)`;
      return list;
    }
    case "boolean":
      return "true / false";
    default:
      return f.range ? `${num(f.range[0], 6)} to ${num(f.range[1], 6)}` : "any number";
  }
}

function importanceBar(share: number | undefined): SVGSVGElement | string {
  if (share === undefined) return "";
  const w = 120;
  return s(
    "svg",
    { class: "imp", viewBox: `0 0 ${w} 10`, role: "img", "aria-label": percent(share) },
    s("rect", { class: "imp-track", x: 0, y: 1, width: w, height: 8, rx: 2 }),
    s("rect", { class: "imp-bar", x: 0, y: 1, width: Math.max(1, share * w), height: 8, rx: 2 }),
  );
}

export function fieldsSection(card: ModelCard): HTMLElement {
  const byField = new Map((card.importance ?? []).map((i) => [i.field, i]));
  return h(
    "section",
    { class: "card fields", id: "fields" },
    h("h2", null, "Fields"),
    h(
      "p",
      { class: "hint" },
      card.importance
        ? "Importance: the share of the model's total gain (loss reduction) from splits on the field, over all trees."
        : "This model text records no split gains: no importance to show.",
      card.absentFields === "error" ? " Every field must be in a record (null says missing)." : "",
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", null, "field"),
            h("th", null, "type"),
            h("th", null, "training range or categories"),
            h("th", { class: "num" }, "importance"),
          ),
        ),
        h(
          "tbody",
          null,
          card.fields.map((f) => {
            const imp = byField.get(f.name);
            return h(
              "tr",
              { "data-field": f.name },
              h("td", { class: "mono" }, f.name),
              h("td", null, f.type, f.nullable ? h("span", { class: "muted" }, " · may be missing") : null),
              h(
                "td",
                { class: "range", title: f.type === "category" ? f.values.join(", ") : null },
                fieldRange(f),
              ),
              h(
                "td",
                { class: "num" },
                importanceBar(imp?.share),
                " ",
                imp ? h("span", { class: "imp-text" }, percent(imp.share)) : "",
              ),
            );
          }),
        ),
      ),
    ),
  );
}
