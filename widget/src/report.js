// The report (wire schema v1) from the form's values, the captured buffers and the environment,
// leaving out every item the reporter unchecked (S.ex) and every key with no value.
import { env, pageLoad } from "./env.js";
import { S } from "./state.js";
import { clean, cut, iso, keys } from "./util.js";

const short = (v) => (v == null || v === "" ? undefined : cut(v, 100));

export function build(v) {
  const t = S.t;
  const inc = (k) => !S.ex.has(k);
  const desc = inc("description") ? v.description.trim() : "";
  const title = (inc("title") && v.title.trim()) || (desc ? cut(desc.split("\n")[0].trim(), 80) : "");
  const r = {
    id: S.id,
    schema_version: 1,
    created_at: iso(),
    kind: v.category == "bug" ? "bug" : "feedback",
    title: cut(title || t.untitled, 200),
  };
  if (desc) r.description = cut(desc, 10000);
  const extra = {};
  const tags = {};
  if (inc("category")) {
    tags.category = v.category;
    if (v.category == "bug" && v.impact) r.impact = v.impact;
  }
  if (inc("user")) {
    const u = S.user || {};
    const user = clean({ id: short(u.id), email: cut(v.email.trim(), 254), name: short(u.name), plan: short(u.plan), segment: short(u.segment) });
    if (keys(user).length) r.user = user;
  }
  const app = clean({ release: short(S.o.release), environment: short(S.o.environment) });
  if (keys(app).length) r.app = app;
  const e = env();
  const { url, referrer, ...browser } = e.browser;
  if (inc("env")) {
    Object.assign(r, e, { browser });
    extra.page_load = pageLoad();
  }
  if (inc("url")) r.browser = clean({ ...r.browser, url, referrer });
  if (inc("actions")) r.actions = S.actions.filter((a) => (a.category != "error" || inc("error")) && (a.category != "http" || inc("network")));
  if (inc("logs")) r.logs = S.logs.slice();
  if (inc("network")) r.network = S.network.slice();
  if (inc("error") && S.exc) {
    r.exception = S.exc;
    if (S.errors.length) extra.errors = S.errors.slice();
  }
  if (inc("fields")) {
    const custom = {};
    for (const k of keys(v.fields)) {
      const x = v.fields[k];
      if (!x) continue; // empty, or an unchecked checkbox
      custom[k] = x;
      if (keys(tags).length < 50) tags[cut(k, 32)] = cut(x, 200);
    }
    if (keys(custom).length) extra.custom_fields = custom;
  }
  if (keys(tags).length) r.tags = tags;
  clean(extra);
  if (keys(extra).length) r.extra = extra;
  for (const k of ["actions", "logs", "network"]) if (r[k] && !r[k].length) delete r[k];
  r.sdk = { name: "bugrelay.widget", version: __WIDGET_VERSION__ };
  return r;
}
