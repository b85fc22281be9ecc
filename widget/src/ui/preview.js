// "Review what will be sent": every item of the report with an include checkbox; an unchecked
// item (its key in S.ex) is left out of the report. Rendered when opened and kept current.
import { env } from "../env.js";
import { local } from "../i18n.js";
import { S } from "../state.js";
import { cut, h, uid } from "../util.js";

let box, list, values, thumb;

export function previewPart(getValues) {
  values = getValues;
  list = h("ul", { part: "preview" });
  return (box = h("details", { part: "review", ontoggle: refresh }, h("summary", {}, S.t.review), h("p", { class: "h" }, S.t.reviewHint), list));
}

export const inReview = (el) => box.contains(el);

export function refresh() {
  if (!box || !box.open) return;
  const t = S.t;
  const v = values();
  const u = S.user || {};
  const e = env();
  const b = e.browser;
  const items = [];
  const add = (key, content, lines) => items.push([key, content, lines]);
  const join = (list, sep) => list.filter((x) => x).join(sep || ", ");
  add("description", cut(v.description.trim(), 300) || "—");
  if (v.title.trim()) add("title", v.title.trim());
  const who = join([v.email.trim(), u.name, u.id]);
  if (who) add("user", who);
  add("category", join([t[v.category], v.category == "bug" && t[v.impact]]));
  const f = (S.o.fields || []).filter((x) => x && v.fields[x.name]);
  if (f.length) add("fields", join(f.map((x) => `${local(x.label, S.lang) || x.name}: ${v.fields[x.name]}`), "; "));
  if (S.shot) {
    const img = h("img", { alt: t.screenshot });
    S.shot.toBlob().then((blob) => {
      if (thumb) URL.revokeObjectURL(thumb);
      img.src = thumb = URL.createObjectURL(blob);
    });
    add("screenshot", img);
  }
  add("url", b.url);
  add("env", join([join([b.name, b.version], " "), join([e.os.name, e.os.version], " "), e.device.family, b.viewport.width + "×" + b.viewport.height, b.language, b.timezone], " · "));
  add("logs", 0, S.logs.map((l) => `${l.level}: ${l.message}`));
  add("actions", 0, S.actions.map((a) => `${a.category}: ${a.message}${a.data && a.data.text ? ` “${a.data.text}”` : ""}`));
  add("network", 0, S.network.map((n) => `${n.method} ${n.url} → ${n.status ?? n.error}`));
  if (S.exc) add("error", `${S.exc.type}: ${S.exc.value}`);
  list.replaceChildren(
    ...items
      .filter(([, , l]) => !l || l.length)
      .map(([k, content, l]) => {
        const id = uid();
        const n = l ? ` (${l.length})` : "";
        return h(
          "li",
          { part: "preview-item-" + k },
          h("input", { type: "checkbox", id, part: "preview-include-" + k, checked: !S.ex.has(k), onchange: (ev) => S.ex[ev.target.checked ? "delete" : "add"](k) }),
          h("label", { for: id }, (t["i_" + k] || t[k]) + n),
          h("div", { class: "v" }, l ? h("details", {}, h("summary", {}, t.show + n), h("pre", {}, l.join("\n"))) : content),
        );
      }),
  );
}
