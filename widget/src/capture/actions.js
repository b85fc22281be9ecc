// The action trail (the schema's breadcrumbs): clicks, navigation, failed requests, errors.
import { S } from "../state.js";
import { cut, iso, push } from "../util.js";

export const MAX_ACTIONS = 100;

export function action(category, message, level, data) {
  const a = { timestamp: iso(), category, message: cut(message, 2000), level };
  if (data) a.data = data;
  push(S.actions, a, MAX_ACTIONS);
}
