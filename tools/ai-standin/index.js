// Stand-in for the Workers AI binding: the same `run(model, inputs)` method,
// answered by a loopback server so that tests can script the model.
import { WorkerEntrypoint } from "cloudflare:workers";

export class AiStandIn extends WorkerEntrypoint {
  async run(model, inputs) {
    const response = await fetch(this.env.AI_STANDIN_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, inputs }),
    });
    if (!response.ok) {
      throw new Error(`AI stand-in answered ${response.status}: ${await response.text()}`);
    }
    return response.json();
  }
}

export default {
  async fetch() {
    return new Response("misgastos AI stand-in: call run() through the AI binding\n");
  },
};
