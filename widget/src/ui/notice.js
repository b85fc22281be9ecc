// The reporter loop's notice: a small non-modal region (a heading, dismissible, reachable by
// keyboard) saying a report was fixed (in which release) or won't be, asking for a 1-5 rating
// (a radio group of labelled stars) and an optional comment -> POST rating; 201 or 409 = rated.
import { rawFetch } from "../capture/network.js";
import { track } from "../reports.js";
import { S } from "../state.js";
import { fill, h, uid } from "../util.js";

export function notice(r) {
  const t = S.t;
  const hid = uid();
  const cid = uid();
  const name = "score" + hid;
  const stars = [];
  const live = h("p", { role: "status", part: "notice-status" });
  const comment = h("textarea", { id: cid, rows: 2, maxlength: 2000, part: "rating-comment" });
  const dismiss = h("button", { class: "x", part: "notice-dismiss", "aria-label": t.dismiss, onclick: () => (track(r.id, { dismissed: true }), box.remove()) }, "×");
  const group = h(
    "div",
    { class: "st" },
    [1, 2, 3, 4, 5].map((n) => {
      const id = uid();
      const label = h("label", { for: id, title: fill(t.star, { n }) }, h("span", { "aria-hidden": "true" }, "★"), h("span", { class: "s" }, fill(t.star, { n })));
      stars.push(label);
      return [h("input", { type: "radio", class: "s", name, value: n, id, part: "rating-" + n, onchange: () => stars.forEach((l, i) => l.classList.toggle("on", i < n), (live.textContent = "")) }), label];
    }),
  );
  const form = h(
    "form",
    { part: "rating", onsubmit: rate },
    h("fieldset", {}, h("legend", {}, t.rate), group),
    h("label", { for: cid }, t.comment, h("span", { class: "q" }, ` (${t.optional})`)),
    comment,
    h("div", { class: "f" }, h("button", { type: "submit", class: "p", part: "rating-send" }, t.rateSend)),
  );
  const msg = fill(r.status == "fixed" ? (r.fixed_in ? t.fixedIn : t.fixed) : t.wontFix, { title: r.title, version: r.fixed_in });
  const box = h("section", { class: "n", part: "notice", "aria-labelledby": hid }, h("h2", { id: hid }, msg), form, live, dismiss);

  async function rate(e) {
    e.preventDefault();
    const score = +form.elements.namedItem(name).value;
    if (!score) {
      live.textContent = t.rateNeeded;
      return form.querySelector("input").focus();
    }
    const body = { score };
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      const res = await rawFetch(S.u.rating(r.id), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: S.u.cred });
      if (res.status == 201 || res.status == 409) {
        track(r.id, { rated: true });
        form.remove();
        live.textContent = t.thanks;
        return dismiss.focus();
      }
    } catch (err) {
      // said below
    }
    live.textContent = t.rateFailed;
  }

  S.root.append(box);
}
