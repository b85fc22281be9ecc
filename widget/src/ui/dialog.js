// The host element <bugrelay-widget> with its open shadow root, the floating launcher, and the
// modal dialog (showModal: the top layer, above the page's own modals): focus trapped inside,
// Esc closes, focus goes back to whatever opened it. After sending, the dialog shows the report
// id and a Close button.
import { S } from "../state.js";
import { style } from "../styles.js";
import { D, h, uid, uuid } from "../util.js";
import { buildForm, prefill, resetForm } from "./form.js";

const FOCUSABLE = "button,input,select,textarea,summary,[tabindex='0']";

export function mount() {
  if (S.host) S.host.remove();
  S.dlg = S.launcher = null;
  const host = (S.host = h("bugrelay-widget", { lang: S.lang }));
  const root = (S.root = host.attachShadow({ mode: "open" }));
  style(root, S.o.nonce);
  if (S.o.button !== false) root.append((S.launcher = h("button", { class: "l p", part: "launcher", "aria-haspopup": "dialog", onclick: () => open(null, S.launcher) }, S.t.launcher)));
  D.documentElement.append(host);
}

function deepActive() {
  let a = D.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a;
}

function trap(e) {
  if (e.key != "Tab") return;
  const all = [...S.dlg.querySelectorAll(FOCUSABLE)].filter((x) => x.getClientRects().length);
  const first = all[0];
  const last = all[all.length - 1];
  const a = S.root.activeElement;
  if (e.shiftKey ? a == first || !all.includes(a) : a == last) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}

function build() {
  const t = S.t;
  const hid = uid();
  const msg = h("p", { tabindex: "-1", part: "done-message" });
  const idBox = h("input", { readonly: true, id: uid(), part: "report-id" });
  const done = h("div", { part: "done", hidden: true }, msg, h("label", { for: idBox.id }, t.reportId), idBox, h("div", { class: "f" }, h("button", { class: "p", part: "close", onclick: close }, t.close)));
  const form = buildForm(close);
  const dlg = (S.dlg = h("dialog", { role: "dialog", "aria-modal": "true", "aria-labelledby": hid, part: "dialog", onkeydown: trap }, h("h2", { id: hid }, t.heading), form, done));
  dlg.addEventListener("close", () => {
    if (S.cap || dlg.open) return; // hidden for a screenshot: not closed
    const o = S.opener;
    if (o && o.isConnected && o.focus) o.focus();
  });
  S.afterSend = (id, text) => {
    S.sent = true;
    if (!id) return close();
    msg.textContent = text;
    idBox.value = id;
    form.hidden = true;
    done.hidden = false;
    if (dlg.open) msg.focus();
  };
  S.showForm = () => {
    S.sent = false;
    resetForm();
    form.hidden = false;
    done.hidden = true;
  };
  S.root.append(dlg);
}

/** Open the form (prefill: {description, title, email, category, impact, fields}). */
export function open(p, opener) {
  if (!S.u || !S.host) return;
  if (!S.dlg) build();
  if (S.dlg.open) return;
  if (S.sent) S.showForm();
  S.opener = opener || deepActive();
  S.id ||= uuid();
  prefill(p);
  S.dlg.showModal();
  S.dlg.querySelector("textarea").focus();
}

export function close() {
  if (S.dlg && S.dlg.open) S.dlg.close();
}
