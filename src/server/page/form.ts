/**
 * The record form, generated from the spec: number inputs with a slider over the training range, selects
 * for categories, checkboxes for booleans. Every change calls `onChange` with the whole record at once.
 */
import type { FieldSpec } from "../../bundle/spec.js";
import { h } from "./dom.js";
import { num } from "./format.js";

export interface RecordForm {
  element: HTMLElement;
  record(): Record<string, unknown>;
  /** Shows the server's validation issues beside their fields ([] clears them). */
  showIssues(issues: { field: string; message: string }[]): void;
  reset(): void;
}

const MISSING = "";

function numberControl(
  f: Extract<FieldSpec, { type: "number" | "integer" }>,
  value: unknown,
  changed: () => void,
) {
  const step = f.type === "integer" ? "1" : "any";
  const box = h("input", {
    type: "number",
    name: f.name,
    id: `f-${f.name}`,
    step,
    value: typeof value === "number" ? String(value) : "",
    placeholder: f.nullable ? "missing" : "",
    inputmode: f.type === "integer" ? "numeric" : "decimal",
  });
  const parts: HTMLElement[] = [];
  let slider: HTMLInputElement | undefined;
  if (f.range && f.range[1] > f.range[0]) {
    const [lo, hi] = f.range;
    slider = h("input", {
      type: "range",
      min: lo,
      max: hi,
      step: f.type === "integer" ? 1 : Number(((hi - lo) / 200).toPrecision(2)),
      value: typeof value === "number" ? value : lo,
      "aria-label": `${f.name} (slider)`,
      tabindex: -1,
    });
    parts.push(slider);
  }
  parts.push(box);
  const note = h("span", { class: "outside", hidden: true }, "outside the training range");
  const check = () => {
    const v = box.value === "" ? Number.NaN : Number(box.value);
    note.hidden = !(f.range && Number.isFinite(v) && (v < f.range[0] || v > f.range[1]));
  };
  slider?.addEventListener("input", () => {
    box.value = slider.value;
    check();
    changed();
  });
  box.addEventListener("input", () => {
    if (slider && box.value !== "") slider.value = box.value;
    check();
    changed();
  });
  check();
  return {
    element: h("div", { class: "control number" }, parts, note),
    read: (): unknown => (box.value === "" ? null : Number(box.value)),
    set: (v: unknown) => {
      box.value = typeof v === "number" ? String(v) : "";
      if (slider && typeof v === "number") slider.value = String(v);
      check();
    },
  };
}

function selectControl(f: FieldSpec, options: [string, string][], value: unknown, changed: () => void) {
  const select = h(
    "select",
    { name: f.name, id: `f-${f.name}` },
    options.map(([v, label]) => h("option", { value: v }, label)),
  );
  const set = (v: unknown) => {
    select.value = v === null || v === undefined ? MISSING : String(v);
  };
  set(value);
  select.addEventListener("change", changed);
  return { element: h("div", { class: "control" }, select), read: () => select.value, set };
}

function controlFor(f: FieldSpec, value: unknown, changed: () => void) {
  switch (f.type) {
    case "number":
    case "integer":
      return numberControl(f, value, changed);
    case "category": {
      const options: [string, string][] = f.values.map((v) => [v, v]);
      if (f.nullable) options.push([MISSING, "(missing)"]);
      const c = selectControl(f, options, value, changed);
      return { ...c, read: () => (c.read() === MISSING ? null : c.read()) };
    }
    case "boolean": {
      if (f.nullable) {
        const c = selectControl(
          f,
          [
            ["false", "false"],
            ["true", "true"],
            [MISSING, "(missing)"],
          ],
          value,
          changed,
        );
        return { ...c, read: () => (c.read() === MISSING ? null : c.read() === "true") };
      }
      const box = h("input", { type: "checkbox", name: f.name, id: `f-${f.name}` });
      box.checked = value === true || value === 1;
      box.addEventListener("change", changed);
      return {
        element: h("div", { class: "control check" }, box, h("label", { for: `f-${f.name}` }, "yes")),
        read: () => box.checked,
        set: (v: unknown) => {
          box.checked = v === true || v === 1;
        },
      };
    }
  }
}

function hint(f: FieldSpec): string {
  switch (f.type) {
    case "category":
      return `${f.values.length} categories`;
    case "boolean":
      return "";
    default:
      return f.range ? `trained on ${num(f.range[0], 6)} – ${num(f.range[1], 6)}` : "";
  }
}

export function recordForm(
  fields: FieldSpec[],
  example: Record<string, unknown>,
  onChange: () => void,
): RecordForm {
  const controls = fields.map((f) => {
    const c = controlFor(f, example[f.name], onChange);
    const error = h("p", { class: "field-error", hidden: true });
    const row = h(
      "div",
      { class: "form-row", "data-field": f.name },
      h(
        "label",
        { class: "field-name", for: `f-${f.name}` },
        f.name,
        h("span", { class: "field-hint" }, hint(f)),
      ),
      c.element,
      error,
    );
    return { f, c, row, error };
  });
  const general = h("p", { class: "field-error", hidden: true });
  const form = h(
    "form",
    { class: "record-form", novalidate: true, onSubmit: (e: Event) => e.preventDefault() },
    controls.map((x) => x.row),
    general,
  );
  return {
    element: form,
    record: () => Object.fromEntries(controls.map((x) => [x.f.name, x.c.read()])),
    showIssues(issues) {
      const byField = new Map(issues.map((i) => [i.field, i.message]));
      for (const x of controls) {
        const m = byField.get(x.f.name);
        byField.delete(x.f.name);
        x.error.hidden = m === undefined;
        x.error.textContent = m ?? "";
        x.row.classList.toggle("invalid", m !== undefined);
      }
      const rest = [...byField].map(([field, m]) => (field ? `${field}: ${m}` : m));
      general.hidden = rest.length === 0;
      general.textContent = rest.join("; ");
    },
    reset() {
      for (const x of controls) x.c.set(example[x.f.name]);
      onChange();
    },
  };
}
