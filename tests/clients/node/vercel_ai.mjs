// Drives the Vercel AI SDK (`ai` with @ai-sdk/openai) against the fake LLM
// (tests/clients/genai/fake_llm.py, FAKE_LLM_URL) with its telemetry on, and exports the spans
// to intake with the real OTLP/HTTP (JSON) exporter, configured only through
// OTEL_EXPORTER_OTLP_* variables.
//
// The same conversation as drive.py: a system instruction, a question offering get_weather,
// the tool call, its result and the answer (generateText, two steps), then a streamText call.
// Prints {"result", "scenario", "spans": [{name, trace_id, span_id, scope}]}.

import { createOpenAI } from "@ai-sdk/openai";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";

const SYSTEM = "You are a weather assistant. Answer in one sentence.";
const QUESTION = "What is the weather in Paris?";

const inner = new OTLPTraceExporter();
let ok = true;
const sent = [];
const exporter = {
  export(spans, done) {
    inner.export(spans, (result) => {
      if (result.code !== 0) ok = false;
      for (const s of spans) {
        const ctx = s.spanContext();
        sent.push({
          name: s.name,
          trace_id: ctx.traceId,
          span_id: ctx.spanId,
          scope: s.instrumentationScope?.name ?? "",
        });
      }
      done(result);
    });
  },
  shutdown: () => inner.shutdown(),
  forceFlush: () => inner.forceFlush(),
};

// As NodeSDK does: without a context manager, the SDK's nested spans would lose their parents.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "genai-vercel-ai" }),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer("ai");
const telemetry = { isEnabled: true, tracer, functionId: "weather-assistant" };

const openai = createOpenAI({ baseURL: `${process.env.FAKE_LLM_URL}/v1`, apiKey: "sk-fake" });
const model = openai.chat("gpt-4o-mini");

await generateText({
  model,
  system: SYSTEM,
  prompt: QUESTION,
  temperature: 0.2,
  tools: {
    get_weather: tool({
      description: "The weather in a city.",
      inputSchema: z.object({ city: z.string() }),
      execute: async () => "sunny, 24C",
    }),
  },
  stopWhen: stepCountIs(2),
  experimental_telemetry: telemetry,
});

const stream = streamText({ model, prompt: QUESTION, experimental_telemetry: telemetry });
for await (const _ of stream.textStream) {
  // drain
}
await stream.text;

await provider.forceFlush();
await provider.shutdown();
console.log(
  JSON.stringify({ result: ok && sent.length > 0 ? "SUCCESS" : "FAILURE", scenario: "vercel-ai", spans: sent }),
);
