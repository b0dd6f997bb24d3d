// Runs many SPARQL queries through Comunica (@comunica/query-sparql) against one SPARQL endpoint, in one node
// process. tests/test_clients.py runs it once for all its cases.
//
// Usage: node run.mjs < cases.json > results.json
// cases.json: [{"id": "...", "query": "SPARQL text", "endpoint": "http://…/sparql", "accept": "json" | "xml" | null}]
// Each query goes to the endpoint as a source of type "sparql". "accept" narrows the Accept header Comunica
// sends with its queries to one of the two results formats it parses (it asks for JSON, then XML at q=0.7);
// null leaves Comunica's own header. Every HTTP request Comunica makes is recorded through its `fetch` hook.
// results.json: [{"id", "ok", "error", "type": "bindings"|"boolean"|"quads", "variables", "bindings",
//                 "boolean", "triples", "requests": [{"method", "url", "accept", "contentType", "query",
//                 "status", "responseType"}]}]
// Terms are written as in SPARQL 1.1 JSON results: {"type": "uri"|"literal"|"bnode", "value", "datatype",
// "xml:lang"}.
import { QueryEngine } from '@comunica/query-sparql';

const ACCEPT = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
};

function term(t) {
  switch (t.termType) {
    case 'NamedNode':
      return { type: 'uri', value: t.value };
    case 'BlankNode':
      return { type: 'bnode', value: t.value };
    case 'Literal': {
      const out = { type: 'literal', value: t.value };
      if (t.language) {
        out['xml:lang'] = t.language;
      } else if (t.datatype && t.datatype.value !== 'http://www.w3.org/2001/XMLSchema#string') {
        out.datatype = t.datatype.value;
      }
      return out;
    }
    default:
      return { type: t.termType, value: t.value };
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function bodyQuery(init) {
  const body = init?.body;
  if (body === undefined || body === null) {
    return null;
  }
  if (body instanceof URLSearchParams) {
    return body.get('query');
  }
  if (typeof body === 'string') {
    const type = new Headers(init.headers).get('content-type') || '';
    return type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body).get('query') : body;
  }
  return String(body);
}

async function runCase(engine, c) {
  const requests = [];
  const fetchHook = async (input, init) => {
    const url = typeof input === 'string' ? input : input.url;
    const headers = new Headers(init?.headers);
    const method = init?.method || 'GET';
    let query = null;
    if (method === 'GET') {
      query = new URL(url).searchParams.get('query');
    } else {
      query = await bodyQuery(init);
    }
    const isQuery = query !== null;
    if (isQuery && c.accept) {
      headers.set('accept', ACCEPT[c.accept]);
    }
    const record = { method, url, accept: headers.get('accept'), contentType: headers.get('content-type'), query };
    requests.push(record);
    const response = await fetch(input, { ...init, headers });
    record.status = response.status;
    record.responseType = response.headers.get('content-type');
    return response;
  };
  const context = { sources: [{ type: 'sparql', value: c.endpoint }], fetch: fetchHook };
  const out = { id: c.id, ok: false, requests };
  try {
    const result = await engine.query(c.query, context);
    out.type = result.resultType;
    if (result.resultType === 'bindings') {
      const stream = await result.execute();
      const metadata = await result.metadata();
      out.variables = metadata.variables.map((v) => (v.variable ? v.variable.value : v.value));
      out.bindings = (await stream.toArray()).map((binding) => {
        const row = {};
        for (const [variable, value] of binding) {
          row[variable.value] = term(value);
        }
        return row;
      });
    } else if (result.resultType === 'boolean') {
      out.boolean = await result.execute();
    } else if (result.resultType === 'quads') {
      const stream = await result.execute();
      out.triples = (await stream.toArray()).map((q) => [term(q.subject), term(q.predicate), term(q.object)]);
    }
    out.ok = true;
  } catch (error) {
    out.error = String(error && error.stack ? error.stack : error);
  }
  return out;
}

const cases = JSON.parse(await readStdin());
const engine = new QueryEngine(); // one engine (a new one per case costs ~150 ms)
const results = [];
for (const c of cases) {
  // no cached answer carries one case into the next: each case must show its own request (the test checks)
  await engine.invalidateHttpCache();
  results.push(await runCase(engine, c));
}
process.stdout.write(JSON.stringify(results));
