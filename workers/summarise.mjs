// Nightly batch summariser (team: knowledge). Summarises a document with Workers AI through the
// stack's batch-summariser gateway: GATEWAY_ID is bound by the aigw program (aigw:workers).
export default {
  async fetch(request, env) {
    if (request.method !== "POST") {
      return Response.json({ error: { code: "method_not_allowed", message: "POST a JSON {text}" } }, { status: 405 });
    }
    let body;
    try {
      body = await request.json();
    } catch {
      return Response.json({ error: { code: "bad_json", message: "the body must be JSON {text}" } }, { status: 400 });
    }
    if (typeof body?.text !== "string" || body.text.length === 0) {
      return Response.json({ error: { code: "bad_request", message: "text must be a non-empty string" } }, { status: 400 });
    }
    const result = await env.AI.run(
      "@cf/meta/llama-3.1-8b-instruct",
      { messages: [{ role: "system", content: "Summarise in five sentences." }, { role: "user", content: body.text }] },
      { gateway: { id: env.GATEWAY_ID, metadata: { app: "batch-summariser", team: env.TEAM ?? "unknown" } } },
    );
    return Response.json({ summary: result.response });
  },
};
