// Edge Worker in front of one AI Gateway (deployed per gateway whose spec asks for it).
//
// Route: /<provider>/<path>?<query>  ->  ${GATEWAY_URL}/<provider>/<path>?<query>
//
// What it guarantees, for every request that goes through it:
// - `cf-aig-authorization` is this stack's Run token (AIG_TOKEN); a client value is replaced, and a
//   client's `cf-aig-gateway-id` is removed: the gateway is the one in GATEWAY_URL, nothing else.
// - With payloads off (PAYLOADS is anything but "true"), the gateway's declared settings hold:
//   - the client's `cf-aig-collect-log` and `cf-aig-collect-log-payload` are removed and
//     `cf-aig-collect-log-payload: false` is set, so the gateway keeps metadata (tokens, model,
//     status, cost) but no request or response bodies. Workers AI goes over the gateway's HTTP
//     endpoint too: the AI binding has no payload option;
//   - the client's cache overrides `cf-aig-cache-ttl` (and its old name `cf-cache-ttl`) and
//     `cf-aig-cache-key` are removed: the gateway's reviewed `cache_ttl` applies. A custom key
//     shares one cached answer between callers whatever their credentials, and caches for 5
//     minutes on a gateway with caching off (developers.cloudflare.com/ai-gateway/features/caching/).
//     `cf-aig-skip-cache` passes: it only ever means less caching;
//   - the client's `cf-aig-custom-cost` is removed: it overrides the cost the gateway computes
//     (developers.cloudflare.com/ai-gateway/configuration/custom-costs/), which spend limits and
//     cost analytics are built on.
// - With ZDR set to anything but "false" (the gateway's `zdr: true`): `cf-aig-zdr: true` is set and
//   client values removed; the header overrides the gateway's default per request in either
//   direction ("Zero Data Retention", developers.cloudflare.com/ai-gateway/features/unified-billing/).
//   Without a ZDR binding the client's header passes.
// - `cf-aig-metadata` carries environment, gateway and app first (the client cannot change them);
//   client entries follow, in their order, while there is room (5 entries at most: the gateway
//   drops the rest); client entries whose values are not string/number/boolean are dropped, and
//   so are keys starting with `cf.` (reserved, not saved: "Cloudflare Access", Limitations,
//   developers.cloudflare.com/ai-gateway/configuration/cloudflare-access/), before counting.
// - WebSocket upgrades get 501: each message of the gateway's WebSockets API can carry its own
//   request and headers, and the Worker does not rewrite every message.
// - Paths cannot leave the gateway (no "..", encoded or not); redirects are returned, never
//   followed, so the token is only ever sent to GATEWAY_URL.
// - Responses (SSE included) are streamed through unbuffered; bad requests get a JSON error.
//
// What it cannot prevent:
// - Code elsewhere in the account holding another Run token, or any caller that has one,
//   calling the gateway directly (gateway.ai.cloudflare.com) without these headers.
// - The REST route `POST https://api.cloudflare.com/client/v4/accounts/{id}/ai/run` (and
//   `/ai/v1/chat/completions`, `/ai/v1/responses`, `/ai/v1/messages`), which reaches any gateway
//   named in `cf-aig-gateway-id` (the `default` gateway without it) with an account API token,
//   never through this Worker ("REST API", developers.cloudflare.com/ai-gateway/usage/rest-api/;
//   changelog 2026-05-21).
// - Bodies leaving through the gateway's own settings: OTel export, log classification and
//   Logpush belong to the gateway and are checked by the project's rules, not here.
// - Misuse of the caller's own credentials: `authorization` and provider keys are forwarded
//   as-is (callers authenticate to the provider; who may call this Worker is a route/Access
//   concern, not the Worker's).

const PROVIDER = /^[a-z0-9-]+$/;
const WORKERS_AI = "workers-ai";
const MAX_METADATA_ENTRIES = 5;
const ALLOWED_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// RFC 9110 section 7.6.1 hop-by-hop headers, plus Host (the upstream's is set by fetch).
const HOP_BY_HOP = [
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade", "host",
];
const PAYLOAD_HEADERS = ["cf-aig-collect-log", "cf-aig-collect-log-payload"];
// What a client could send to weaken the gateway's declared settings; removed with payloads off.
const OVERRIDE_HEADERS = [
  ...PAYLOAD_HEADERS,
  "cf-aig-cache-ttl", "cf-cache-ttl", "cf-aig-cache-key",
  "cf-aig-custom-cost",
];
// Removed always: the gateway is chosen by GATEWAY_URL alone.
const ALWAYS_REMOVED = ["cf-aig-gateway-id"];
const RESERVED_METADATA_PREFIX = "cf.";
const WEBSOCKET_REFUSAL = "The edge Worker does not forward WebSocket connections: it would have to enforce "
  + "the logging policy on every message, and it does not. Use the HTTP endpoints (streamed responses "
  + "arrive as server-sent events).";

class BadRequest extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

function jsonError(status, code, message, edgeId, extraHeaders = {}) {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: {
      "content-type": "application/json",
      ...(edgeId ? { "x-aigw-edge": edgeId } : {}),
      ...extraHeaders,
    },
  });
}

// Only the exact string "true" allows payloads: a missing or mistyped binding fails closed.
function payloadsAllowed(env) {
  return env.PAYLOADS === "true";
}

// ZDR is optional (older deployments have no binding): absent or exactly "false" leaves it to the
// client; "true" or a mistyped value forces it, so a typo fails closed.
function zdrForced(env) {
  return env.ZDR !== undefined && env.ZDR !== "false";
}

function settings(env) {
  const missing = ["GATEWAY_URL", "GATEWAY_ID", "ENVIRONMENT", "AIG_TOKEN"].filter(
    (name) => typeof env[name] !== "string" || env[name] === "",
  );
  if (missing.length) {
    return { error: `edge Worker is missing bindings: ${missing.join(", ")}` };
  }
  const gatewayName = env.GATEWAY_NAME || env.GATEWAY_ID;
  return {
    gatewayUrl: env.GATEWAY_URL.replace(/\/+$/, ""),
    gatewayId: env.GATEWAY_ID,
    token: env.AIG_TOKEN,
    payloads: payloadsAllowed(env),
    zdr: zdrForced(env),
    metadata: { environment: env.ENVIRONMENT, gateway: gatewayName, app: env.APP || gatewayName },
  };
}

// The raw path (before URL normalisation) split into segments; rejects dot segments in any
// encoding so that "/openai/%2e%2e/..." cannot climb out of the gateway's path.
function pathSegments(rawUrl) {
  const afterScheme = rawUrl.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  const rawPath = afterScheme.split(/[?#]/, 1)[0];
  const segments = rawPath.split("/").slice(1);
  for (const segment of segments) {
    let decoded;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new BadRequest(400, "bad_path", "The path is not valid percent-encoding.");
    }
    if (decoded === "." || decoded === ".." || /[/\\\0-\x1f]/.test(decoded)) {
      throw new BadRequest(400, "bad_path",
        "The path must not contain '.', '..', encoded slashes or control characters.");
    }
  }
  return segments;
}

function route(request) {
  const segments = pathSegments(request.url);
  const provider = segments[0] ?? "";
  if (provider === "") {
    throw new BadRequest(404, "no_provider",
      "Send requests to /<provider>/<path>, e.g. /openai/chat/completions.");
  }
  if (!PROVIDER.test(provider)) {
    throw new BadRequest(404, "unknown_route",
      "The provider segment must match [a-z0-9-]+, e.g. /openai/chat/completions.");
  }
  const rest = segments.slice(1).join("/");
  if (rest === "") {
    throw new BadRequest(404, "no_path", `Add the provider's path after /${provider}/.`);
  }
  if (!ALLOWED_METHODS.has(request.method)) {
    throw new BadRequest(405, "method_not_allowed", `Method ${request.method} is not forwarded.`, {
      allow: [...ALLOWED_METHODS].join(", "),
    });
  }
  return { provider, rest, search: new URL(request.url).search };
}

function isScalar(value) {
  return typeof value === "string" || typeof value === "boolean"
    || (typeof value === "number" && Number.isFinite(value));
}

// The Worker's entries first and unchangeable; then the client's scalar entries in their order
// while the total stays within the gateway's limit.
function mergeMetadata(clientHeader, own) {
  const merged = { ...own };
  if (clientHeader === null || clientHeader.trim() === "") {
    return merged;
  }
  let client;
  try {
    client = JSON.parse(clientHeader);
  } catch {
    throw new BadRequest(400, "bad_metadata", "cf-aig-metadata must be a JSON object.");
  }
  if (client === null || typeof client !== "object" || Array.isArray(client)) {
    throw new BadRequest(400, "bad_metadata", "cf-aig-metadata must be a JSON object.");
  }
  for (const [key, value] of Object.entries(client)) {
    if (Object.keys(merged).length >= MAX_METADATA_ENTRIES) break;
    if (Object.hasOwn(own, key) || !isScalar(value)) continue;
    if (key.toLowerCase().startsWith(RESERVED_METADATA_PREFIX)) continue;
    merged[key] = value;
  }
  return merged;
}

function upstreamHeaders(request, config, metadata) {
  const headers = new Headers(request.headers);
  const listed = (headers.get("connection") || "").split(",").map((h) => h.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...listed]) {
    if (name) headers.delete(name);
  }
  headers.set("cf-aig-authorization", `Bearer ${config.token}`);
  for (const name of ALWAYS_REMOVED) headers.delete(name);
  if (!config.payloads) {
    for (const name of OVERRIDE_HEADERS) headers.delete(name);
    headers.set("cf-aig-collect-log-payload", "false");
  }
  if (config.zdr) {
    headers.set("cf-aig-zdr", "true");
  }
  headers.set("cf-aig-metadata", JSON.stringify(metadata));
  return headers;
}

function isWebSocketUpgrade(request) {
  return (request.headers.get("upgrade") || "").trim().toLowerCase() === "websocket";
}

// The AI binding runs a model by name; Workers AI's OpenAI-compatible endpoints
// (/workers-ai/v1/chat/completions, /v1/embeddings, ...) are gateway URLs, not models.
function isWorkersAiModel(target) {
  return target.provider === WORKERS_AI && !target.rest.startsWith("v1/");
}

function withEdgeHeader(response, gatewayId) {
  const out = new Response(response.body, response);
  out.headers.set("x-aigw-edge", gatewayId);
  return out;
}

async function forward(request, config, target, metadata) {
  const url = `${config.gatewayUrl}/${target.provider}/${target.rest}${target.search}`;
  // Defence in depth: whatever the URL parser makes of the path, it stays under the gateway.
  const base = new URL(config.gatewayUrl);
  const parsed = new URL(url);
  const prefix = `${base.pathname.replace(/\/+$/, "")}/${target.provider}/`;
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(prefix)) {
    throw new BadRequest(400, "bad_path", "The path must stay under the gateway.");
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  let upstream;
  try {
    upstream = await fetch(parsed.href, {
      method: request.method,
      headers: upstreamHeaders(request, config, metadata),
      body: hasBody ? request.body : null,
      redirect: "manual",
    });
  } catch (err) {
    const reason = String(err?.message ?? err).slice(0, 200);
    return jsonError(502, "upstream_unreachable", `The gateway could not be reached: ${reason}`, config.gatewayId);
  }
  return withEdgeHeader(upstream, config.gatewayId);
}

// Payloads allowed: the AI binding, which calls Workers AI through the gateway with its options.
async function runWorkersAi(request, env, config, target, metadata) {
  if (request.method !== "POST") {
    throw new BadRequest(405, "method_not_allowed", "Workers AI models take POST with a JSON body.",
      { allow: "POST" });
  }
  if (!env.AI || typeof env.AI.run !== "function") {
    return jsonError(500, "misconfigured", "edge Worker is missing the AI binding.", config.gatewayId);
  }
  let inputs;
  try {
    inputs = await request.json();
  } catch {
    throw new BadRequest(400, "bad_body", "Workers AI requests take a JSON object body.");
  }
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) {
    throw new BadRequest(400, "bad_body", "Workers AI requests take a JSON object body.");
  }
  const model = decodeURIComponent(target.rest);
  let result;
  try {
    result = await env.AI.run(model, inputs, { gateway: { id: config.gatewayId, metadata } });
  } catch (err) {
    return jsonError(502, "workers_ai_error", String(err?.message ?? err).slice(0, 500), config.gatewayId);
  }
  const headers = { "x-aigw-edge": config.gatewayId };
  if (result instanceof ReadableStream) {
    return new Response(result, { headers: { ...headers, "content-type": "text/event-stream" } });
  }
  if (result instanceof Response) {
    return withEdgeHeader(result, config.gatewayId);
  }
  return new Response(JSON.stringify(result), {
    headers: { ...headers, "content-type": "application/json" },
  });
}

export default {
  async fetch(request, env) {
    const config = settings(env);
    if (config.error) {
      return jsonError(500, "misconfigured", config.error, env.GATEWAY_ID);
    }
    try {
      if (isWebSocketUpgrade(request)) {
        throw new BadRequest(501, "websocket_not_supported", WEBSOCKET_REFUSAL);
      }
      const target = route(request);
      const metadata = mergeMetadata(request.headers.get("cf-aig-metadata"), config.metadata);
      if (config.payloads && isWorkersAiModel(target)) {
        return await runWorkersAi(request, env, config, target, metadata);
      }
      return await forward(request, config, target, metadata);
    } catch (err) {
      if (err instanceof BadRequest) {
        return jsonError(err.status, err.code, err.message, config.gatewayId, err.headers);
      }
      // Never the runtime's HTML error page, and never details that might include a header.
      console.error("edge Worker failed:", err?.stack ?? String(err));
      return jsonError(500, "internal_error", "The edge Worker failed; see its logs.", config.gatewayId);
    }
  },
};
