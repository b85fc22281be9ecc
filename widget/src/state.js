// The widget's one shared state: options, strings, endpoints, the UI's elements, the captured
// buffers. Modules read and write it directly (no framework, no events).

export const MASK =
  "input:not([type=button]):not([type=submit]):not([type=reset]):not([type=checkbox]):not([type=radio]):not([type=range]),textarea,select,[contenteditable]:not([contenteditable=false]),[data-bugrelay-mask]";

export const S = {
  o: {}, // the options (data-* merged with init's)
  t: {}, // the UI strings in the chosen language
  lang: "en",
  u: null, // the endpoints: {report, status(id), rating(id), chunk}
  user: null, // setUser / options.user
  att: [], // attached openers: selectors or elements
  mask: MASK,
  ex: new Set(), // keys of the review items the reporter unchecked
  // captured from script load
  logs: [],
  actions: [],
  network: [],
  errors: [], // older uncaught errors, short
  exc: null, // the latest uncaught error, as the schema's exception
};
