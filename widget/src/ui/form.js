// The report form: what happened (required), title, email, category, impact, the site's custom
// fields, the screenshot, the review list, Send / Cancel; validation with messages tied to their
// fields (aria-describedby, aria-invalid), announced, and focus on the first invalid field.
import { local } from "../i18n.js";
import { submit as deliver } from "../outbox.js";
import { build } from "../report.js";
import { track } from "../reports.js";
import { S } from "../state.js";
import { h, isObj, uid } from "../util.js";
import { inReview, previewPart, refresh } from "./preview.js";
import { fit, shotPart } from "./shot.js";

let form, checks, alert, sendBtn, impact;

const named = (name) => form.elements.namedItem(name);
const mark = (req) => h("span", { class: "q" }, ` (${req ? S.t.required : S.t.optional})`);
const custom = () => (S.o.fields || []).filter((f) => isObj(f) && f.name);

/** A labelled control with its hint and its error line; `name` is also its part. */
function field(ctl, name, label, req, hint) {
  const err = h("p", { class: "e", id: uid(), part: name + "-error" });
  const hintEl = hint && h("p", { class: "h", id: uid() }, hint);
  const lab = h("label", { for: (ctl.id = uid()) }, label, mark(req));
  ctl.name = name;
  ctl.setAttribute("part", name);
  ctl.setAttribute("aria-describedby", (hintEl ? hintEl.id + " " : "") + err.id);
  if (req) (ctl.required = true), ctl.setAttribute("aria-required", "true");
  checks.push([ctl, err]);
  // An error goes as soon as the field is fixed (it was announced once; no need to send again).
  ctl.addEventListener("input", () => {
    if (err.textContent && (ctl.type == "checkbox" ? ctl.checked : ctl.value.trim()) && !ctl.validity.typeMismatch) (err.textContent = ""), ctl.removeAttribute("aria-invalid");
  });
  return ctl.type == "checkbox" ? h("div", { class: "row" }, ctl, lab, err) : h("div", {}, lab, hintEl, ctl, err);
}

const radios = (name, legend, values, checked) =>
  h(
    "fieldset",
    { part: name },
    h("legend", {}, legend, name == "impact" && mark()),
    h(
      "div",
      { class: "o" },
      values.map((v, i) => h("span", {}, h("input", { type: "radio", name, value: v, id: (i = uid()), part: `${name}-${v}`, checked: v == checked }), h("label", { for: i }, S.t[v]))),
    ),
  );

function customField(f) {
  const text = (v) => local(v, S.lang);
  const ctl =
    f.type == "select"
      ? h("select", {}, h("option", { value: "" }, S.t.choose), (f.options || []).map((o) => (isObj(o) ? h("option", { value: o.value }, text(o.label) || o.value) : h("option", {}, o))))
      : h("input", f.type == "checkbox" ? { type: "checkbox" } : { type: "text", maxlength: 200 });
  return field(ctl, "field-" + f.name, text(f.label) || f.name, f.required);
}

export function values() {
  const v = Object.fromEntries(new FormData(form));
  const fields = {};
  for (const f of custom()) {
    const x = v["field-" + f.name];
    fields[f.name] = f.type == "checkbox" ? !!x : (x || "").trim();
  }
  return { description: v.description || "", title: v.title || "", email: v.email || "", category: v.category || "bug", impact: v.impact, fields };
}

function validate() {
  let first;
  for (const [ctl, err] of checks) {
    const msg = ctl.required && !(ctl.type == "checkbox" ? ctl.checked : ctl.value.trim()) ? S.t.errRequired : ctl.validity.typeMismatch ? S.t.errEmail : "";
    err.textContent = msg;
    msg ? ctl.setAttribute("aria-invalid", "true") : ctl.removeAttribute("aria-invalid");
    first ||= msg && ctl;
  }
  alert.textContent = first ? S.t.errForm : "";
  if (first) first.focus();
  return !first;
}

async function onSubmit(e) {
  e.preventDefault();
  if (S.busy || !validate()) return;
  const t = S.t;
  S.busy = true;
  sendBtn.setAttribute("aria-disabled", "true");
  sendBtn.textContent = t.sending;
  try {
    let r = build(values());
    if (typeof S.o.beforeSend == "function") {
      try {
        const x = S.o.beforeSend(r);
        if (x === null || x === false) return S.afterSend();
        if (isObj(x)) r = x;
      } catch (err) {
        // the site's hook failed: the report goes as it was
      }
    }
    let blob = null;
    try {
      if (S.shot && !S.ex.has("screenshot")) blob = await fit(await S.shot.toBlob());
    } catch (err) {
      // sent without the image
    }
    track(r.id, { title: r.title, sent_at: r.created_at, status: "pending" });
    const out = await deliver(r.id, S.u.report, JSON.stringify(r), blob);
    if (out.fail) alert.textContent = `${t.failed} (${out.fail}${out.error ? ", " + out.error : ""})`;
    else S.afterSend(r.id, out.ok ? t.sent : navigator.onLine === false ? t.savedOffline : t.savedLater);
  } finally {
    S.busy = false;
    sendBtn.removeAttribute("aria-disabled");
    sendBtn.textContent = t.send;
  }
}

/** Empty the form for the next report (a new id is made when it next opens). */
export function resetForm() {
  form.reset();
  for (const [ctl, err] of checks) (err.textContent = ""), ctl.removeAttribute("aria-invalid");
  alert.textContent = "";
  S.clearShot();
  S.ex.clear();
  S.id = null;
  form.querySelector("details").open = impact.hidden = false;
}

/** Fill the form from open(prefill) and the known user. */
export function prefill(p) {
  p = isObj(p) ? p : {};
  const fields = isObj(p.fields) ? p.fields : {};
  for (const k of ["description", "title", "email", "category", "impact"]) if (p[k] != null) named(k).value = p[k];
  if (!named("email").value && S.user && S.user.email) named("email").value = S.user.email;
  for (const f of custom()) {
    const c = named("field-" + f.name);
    if (f.name in fields) c.type == "checkbox" ? (c.checked = !!fields[f.name]) : (c.value = fields[f.name]);
  }
  impact.hidden = named("category").value != "bug";
}

export function buildForm(close) {
  const t = S.t;
  checks = [];
  alert = h("p", { class: "e", role: "alert", part: "form-error" });
  sendBtn = h("button", { type: "submit", class: "p", part: "send" }, t.send);
  impact = radios("impact", t.impact, ["blocks_work", "annoying", "cosmetic"]);
  form = h(
    "form",
    {
      novalidate: true,
      part: "form",
      onsubmit: onSubmit,
      onchange: (e) => {
        impact.hidden = named("category").value != "bug";
        if (!inReview(e.target)) refresh();
      },
    },
    field(h("textarea", { maxlength: 10000, rows: 5 }), "description", t.description, true, t.descriptionHint),
    field(h("input", { maxlength: 200 }), "title", t.title),
    field(h("input", { type: "email", maxlength: 254, autocomplete: "email" }), "email", t.email),
    radios("category", t.category, ["bug", "idea", "question"], "bug"),
    impact,
    custom().map(customField),
    shotPart(),
    previewPart(values),
    alert,
    h("div", { class: "f" }, h("button", { part: "cancel", onclick: close }, t.cancel), sendBtn),
  );
  return form;
}
