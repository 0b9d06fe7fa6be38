/** The prediction of the form's record, and why: the SHAP waterfall. */
import type {
  BinaryResult,
  ExplainResult,
  Explanation,
  MulticlassResult,
  PredictionResult,
} from "../../bundle/output.js";
import type { ModelCard } from "./card.js";
import { h, put, s } from "./dom.js";
import { num, percent } from "./format.js";
import { waterfall, waterfallLegend } from "./waterfall.js";

function binaryView(card: ModelCard, r: BinaryResult): HTMLElement {
  const target = card.target?.name ?? "the label";
  const positive = String(card.target?.classes?.[1] ?? 1);
  const label = String(card.target?.classes?.[r.prediction] ?? r.prediction);
  const w = 300;
  return h(
    "div",
    { class: "verdict", "data-prediction": String(r.prediction), "data-probability": String(r.probability) },
    h("div", { class: "big" }, percent(r.probability)),
    h("p", { class: "what" }, `probability that ${target} = ${positive}`),
    s(
      "svg",
      { class: "meter", viewBox: `0 0 ${w} 14`, role: "img", "aria-label": percent(r.probability) },
      s("rect", { class: "meter-track", x: 0, y: 2, width: w, height: 10, rx: 5 }),
      s("rect", {
        class: `meter-bar ${r.prediction === 1 ? "yes" : "no"}`,
        x: 0,
        y: 2,
        width: Math.max(2, r.probability * w),
        height: 10,
        rx: 5,
      }),
      s("line", { class: "meter-mark", x1: w / 2, x2: w / 2, y1: 0, y2: 14 }),
    ),
    h(
      "p",
      { class: "class-line" },
      "predicted ",
      h("strong", { class: "predicted" }, `${target} = ${label}`),
      h("span", { class: "muted" }, ` (${target} = ${positive} at a probability of 50% or more)`),
    ),
  );
}

function multiclassView(r: MulticlassResult, classes: (string | number)[]): HTMLElement {
  const w = 200;
  return h(
    "div",
    { class: "verdict", "data-prediction": String(r.prediction) },
    h("div", { class: "big" }, String(r.prediction)),
    h("p", { class: "what" }, `the most probable class, ${percent(Math.max(...r.probabilities))}`),
    h(
      "table",
      { class: "classes" },
      h(
        "tbody",
        null,
        r.probabilities.map((p, k) =>
          h(
            "tr",
            { class: String(classes[k] ?? k) === String(r.prediction) ? "top" : null },
            h("td", { class: "mono" }, String(classes[k] ?? k)),
            h(
              "td",
              null,
              s(
                "svg",
                { class: "imp", viewBox: `0 0 ${w} 10` },
                s("rect", { class: "imp-track", x: 0, y: 1, width: w, height: 8, rx: 2 }),
                s("rect", { class: "imp-bar", x: 0, y: 1, width: Math.max(1, p * w), height: 8, rx: 2 }),
              ),
            ),
            h("td", { class: "num" }, percent(p)),
          ),
        ),
      ),
    ),
  );
}

export interface ResultView {
  element: HTMLElement;
  show(record: Record<string, unknown>, prediction: PredictionResult, explanation: ExplainResult): void;
  invalid(message: string): void;
}

export function resultView(card: ModelCard): ResultView {
  const verdict = h("div", { class: "verdict-box" }, h("p", { class: "muted" }, "…"));
  const chart = h("div", { class: "chart" });
  const classPick = h("select", { class: "class-pick", "aria-label": "class to explain" });
  const why = h(
    "div",
    { class: "why" },
    h(
      "h3",
      null,
      "Why: each field's contribution",
      card.task === "multiclass" ? [" to class ", classPick] : null,
    ),
    chart,
    waterfallLegend(card.task === "binary"),
  );
  const element = h("div", { class: "result", id: "result" }, verdict, why);
  let last:
    | { record: Record<string, unknown>; prediction: PredictionResult; explanation: ExplainResult }
    | undefined;
  let picked: string | undefined;
  classPick.addEventListener("change", () => {
    picked = classPick.value;
    if (last) draw();
  });

  const draw = () => {
    if (!last) return;
    const { record, prediction, explanation } = last;
    let e: Explanation;
    let scoreNote: string | undefined;
    if ("classes" in explanation) {
      const labels = explanation.classes.map((c) => String(c.class));
      if (classPick.options.length !== labels.length)
        put(
          classPick,
          labels.map((l) => h("option", { value: l }, l)),
        );
      classPick.value = picked ?? String((prediction as MulticlassResult).prediction);
      e = explanation.classes.find((c) => String(c.class) === classPick.value) ?? explanation.classes[0];
    } else {
      e = explanation;
      if ("probability" in prediction) scoreNote = percent(prediction.probability);
    }
    put(chart, waterfall(e, { record, scoreNote, threshold: card.task === "binary" }));
  };

  return {
    element,
    show(record, prediction, explanation) {
      last = { record, prediction, explanation };
      element.classList.remove("stale");
      element.dataset.record = JSON.stringify(record);
      if ("probability" in prediction) put(verdict, binaryView(card, prediction));
      else if ("probabilities" in prediction)
        put(verdict, multiclassView(prediction, card.target?.classes ?? []));
      else
        put(
          verdict,
          h(
            "div",
            { class: "verdict", "data-value": String(prediction.value) },
            h("div", { class: "big" }, num(prediction.value, 5)),
            h("p", { class: "what" }, `predicted ${card.target?.name ?? "value"}`),
          ),
        );
      draw();
    },
    invalid(message) {
      element.classList.add("stale");
      put(verdict, h("p", { class: "invalid-note" }, message));
    },
  };
}
