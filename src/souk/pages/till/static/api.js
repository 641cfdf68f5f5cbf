// Calls to the Souk API as the till: with its POS key (`{ key }`), or with a store manager's
// session (`{ csrf }`: the HttpOnly cookie goes by itself, the session's CSRF token in a
// header). A network failure is told apart from a refusal: the first means "keep it for
// later", the second "tell the associate".

export class Offline extends Error {}

export class Refused extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || "Refused");
    this.problem = problem;
  }
}

export function problemText(problem) {
  const fields = (problem.errors || []).map((e) => `${e.field || e.loc || ""}: ${e.message || e.msg || ""}`);
  return [problem.detail || problem.title, ...fields].filter(Boolean).join(" — ");
}

export async function call(auth, method, path, body) {
  const headers = { Accept: "application/json" };
  if (auth?.key) headers.Authorization = `Bearer ${auth.key}`;
  else if (auth?.csrf) headers["X-CSRF-Token"] = auth.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new Offline(String(error));
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Refused(data || { title: response.statusText, status: response.status });
  return data;
}
