"""Drives one real GenAI instrumentation library against the fake LLM (fake_llm.py) and exports
its spans to intake with the real OTLP exporter, configured only through OTEL_EXPORTER_OTLP_*
variables as users configure it.

    python3 drive.py SCENARIO        (FAKE_LLM_URL=http://127.0.0.1:PORT)

Every scenario makes the same conversation: a system instruction, a user question that offers
the get_weather tool, the model's tool call, the tool's result, and the model's answer; some
add a streamed call. Prints one JSON line: {"result": "SUCCESS"|"FAILURE", "scenario",
"spans": [{"name", "trace_id", "span_id", "scope"}]}.
"""

import json
import os
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

SYSTEM = "You are a weather assistant. Answer in one sentence."
QUESTION = "What is the weather in Paris?"
TOOL_RESULT = "sunny, 24C"
MODEL_OPENAI = "gpt-4o-mini"
MODEL_ANTHROPIC = "claude-sonnet-4-5"
MODEL_GEMINI = "gemini-2.5-flash"

OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
ANTHROPIC_TOOLS = [
    {
        "name": "get_weather",
        "description": "The weather in a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


class RecordingExporter(SpanExporter):
    """The real OTLP exporter, noting what it sent and whether intake accepted it."""

    def __init__(self, inner):
        self.inner = inner
        self.ok = True
        self.sent = []

    def export(self, spans):
        result = self.inner.export(spans)
        if result != SpanExportResult.SUCCESS:
            self.ok = False
        for s in spans:
            self.sent.append(
                {
                    "name": s.name,
                    "trace_id": format(s.context.trace_id, "032x"),
                    "span_id": format(s.context.span_id, "016x"),
                    "scope": s.instrumentation_scope.name if s.instrumentation_scope else "",
                }
            )
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def otlp_exporter():
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def fake(path=""):
    return os.environ["FAKE_LLM_URL"].rstrip("/") + path


def weather(city):
    return TOOL_RESULT


# ---------------------------------------------------------------- OpenAI-shaped calls


def openai_conversation(stream_too=True):
    from openai import OpenAI

    client = OpenAI(base_url=fake("/v1"), api_key="sk-fake")
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    first = client.chat.completions.create(model=MODEL_OPENAI, messages=messages, tools=OPENAI_TOOLS, temperature=0.2)
    call = first.choices[0].message.tool_calls[0]
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": weather("Paris")},
    ]
    client.chat.completions.create(model=MODEL_OPENAI, messages=messages, tools=OPENAI_TOOLS, temperature=0.2)
    if stream_too:
        stream = client.chat.completions.create(
            model=MODEL_OPENAI,
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        for _ in stream:
            pass


def anthropic_conversation(client):
    messages = [{"role": "user", "content": QUESTION}]
    first = client.messages.create(
        model=MODEL_ANTHROPIC, max_tokens=256, system=SYSTEM, messages=messages, tools=ANTHROPIC_TOOLS
    )
    use = next(b for b in first.content if b.type == "tool_use")
    messages += [
        {"role": "assistant", "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": weather("Paris")}]},
    ]
    client.messages.create(model=MODEL_ANTHROPIC, max_tokens=256, system=SYSTEM, messages=messages, tools=ANTHROPIC_TOOLS)


def anthropic_client(**options):
    from anthropic import Anthropic

    return Anthropic(base_url=fake(), api_key="sk-ant-fake", **options)


# ---------------------------------------------------------------- scenarios


def openinference_openai(tp):
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tp)
    openai_conversation()


def openinference_anthropic(tp):
    from openinference.instrumentation.anthropic import AnthropicInstrumentor

    AnthropicInstrumentor().instrument(tracer_provider=tp)
    anthropic_conversation(anthropic_client(open_telemetry=False))


def langchain_conversation():
    from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return weather(city)

    llm = ChatOpenAI(model=MODEL_OPENAI, base_url=fake("/v1"), api_key="sk-fake", temperature=0.2)
    with_tools = llm.bind_tools([get_weather])
    messages = [SystemMessage(SYSTEM), HumanMessage(QUESTION)]
    first = with_tools.invoke(messages)
    call = first.tool_calls[0]
    result = get_weather.invoke(call)
    messages += [first, ToolMessage(content=str(result.content), tool_call_id=call["id"])]
    (with_tools | StrOutputParser()).invoke(messages)


def openinference_langchain(tp):
    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=tp)
    langchain_conversation()


def openinference_google_genai(tp):
    from google import genai
    from google.genai import types
    from openinference.instrumentation.google_genai import GoogleGenAIInstrumentor

    GoogleGenAIInstrumentor().instrument(tracer_provider=tp)
    client = genai.Client(api_key="fake-gemini-key", http_options=types.HttpOptions(base_url=fake()))
    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather",
                description="The weather in a city.",
                parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]),
            )
        ]
    )
    config = types.GenerateContentConfig(system_instruction=SYSTEM, tools=[tool], temperature=0.2)
    contents = [types.Content(role="user", parts=[types.Part(text=QUESTION)])]
    first = client.models.generate_content(model=MODEL_GEMINI, contents=contents, config=config)
    call = first.candidates[0].content.parts[0].function_call
    contents += [
        first.candidates[0].content,
        types.Content(
            role="tool",
            parts=[types.Part(function_response=types.FunctionResponse(name=call.name, response={"result": weather("Paris")}))],
        ),
    ]
    client.models.generate_content(model=MODEL_GEMINI, contents=contents, config=config)


def openllmetry_openai(tp):
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tp)
    openai_conversation()


def openllmetry_anthropic(tp):
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

    AnthropicInstrumentor().instrument(tracer_provider=tp)
    anthropic_conversation(anthropic_client(open_telemetry=False))


def otel_openai_v2(tp):
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=tp)
    openai_conversation()


def anthropic_sdk(tp):
    anthropic_conversation(
        anthropic_client(open_telemetry={"tracer_provider": tp, "traces": {"content_mode": "content"}, "propagation": False})
    )


def pydantic_ai(tp):
    from pydantic_ai import Agent
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(MODEL_OPENAI, provider=OpenAIProvider(base_url=fake("/v1"), api_key="sk-fake"))
    agent = Agent(
        model,
        instructions=SYSTEM,
        name="weather_agent",
    )
    agent.instrument = InstrumentationSettings(tracer_provider=tp, include_content=True)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return weather(city)

    agent.run_sync(QUESTION)


def langsmith_otel(tp):
    from opentelemetry import trace

    trace.set_tracer_provider(tp)
    langchain_conversation()


SCENARIOS = {
    "openinference-openai": openinference_openai,
    "openinference-anthropic": openinference_anthropic,
    "openinference-langchain": openinference_langchain,
    "openinference-google-genai": openinference_google_genai,
    "openllmetry-openai": openllmetry_openai,
    "openllmetry-anthropic": openllmetry_anthropic,
    "otel-openai-v2": otel_openai_v2,
    "anthropic-sdk": anthropic_sdk,
    "pydantic-ai": pydantic_ai,
    "langsmith-otel": langsmith_otel,
}


def main():
    scenario = sys.argv[1]
    exporter = RecordingExporter(otlp_exporter())
    tp = TracerProvider(resource=Resource.create({"service.name": f"genai-{scenario}"}))
    tp.add_span_processor(BatchSpanProcessor(exporter))
    SCENARIOS[scenario](tp)
    if scenario == "langsmith-otel":
        # LangSmith hands runs to its OTel exporter from a background thread.
        from langchain_core.tracers.langchain import wait_for_all_tracers

        wait_for_all_tracers()
    flushed = tp.force_flush()
    tp.shutdown()
    ok = flushed and exporter.ok and bool(exporter.sent)
    print(json.dumps({"result": "SUCCESS" if ok else "FAILURE", "scenario": scenario, "spans": exporter.sent}))


if __name__ == "__main__":
    main()
