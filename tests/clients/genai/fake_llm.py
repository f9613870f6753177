"""A small fake LLM server speaking the OpenAI, Anthropic and Gemini HTTP APIs, so the real
instrumentation libraries can be driven without a model or a network.

It answers every request the same way, so a test knows exactly what each library saw:
- a request that offers tools and has no tool result yet gets a tool call:
  get_weather({"city": "Paris"}) with id `call_weather_1`;
- any other request gets the text `It is sunny in Paris.`.
Usage is fixed per API (see USAGE below) and the response model is `<requested model>-2026`.
Streaming is supported on every API (server-sent events).

Run: python3 fake_llm.py PORT  (prints "ready" once it listens; stops on SIGTERM).
"""

import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOL_CALL_ID = "call_weather_1"
TOOL_NAME = "get_weather"
TOOL_ARGS = {"city": "Paris"}
ANSWER = "It is sunny in Paris."

# Fixed usage. OpenAI and Gemini report input including cached tokens; Anthropic reports fresh
# input only (30 + cache read 8 + cache write 2 = 40 in the canonical form).
USAGE = {
    "openai": {"prompt": 40, "cached": 8, "completion": 12, "reasoning": 4},
    "anthropic": {"input": 30, "cache_read": 8, "cache_creation": 2, "output": 12},
    "gemini": {"prompt": 40, "cached": 8, "candidates": 12, "thoughts": 4},
}


def wants_tool_call(messages_have_tool_result, has_tools):
    return has_tools and not messages_have_tool_result


# ---------------------------------------------------------------- OpenAI


def openai_has_tool_result(body):
    return any(m.get("role") == "tool" for m in body.get("messages", []))


def openai_usage():
    u = USAGE["openai"]
    return {
        "prompt_tokens": u["prompt"],
        "completion_tokens": u["completion"],
        "total_tokens": u["prompt"] + u["completion"],
        "prompt_tokens_details": {"cached_tokens": u["cached"], "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": u["reasoning"], "audio_tokens": 0},
    }


def openai_chat(handler, body):
    model = body.get("model", "gpt-4o-mini")
    tool = wants_tool_call(openai_has_tool_result(body), bool(body.get("tools")))
    if tool:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": TOOL_CALL_ID,
                    "type": "function",
                    "function": {"name": TOOL_NAME, "arguments": json.dumps(TOOL_ARGS)},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": ANSWER}
        finish = "stop"
    base = {"id": "chatcmpl-fake-1", "created": 1767225600, "model": f"{model}-2026", "system_fingerprint": "fp_fake"}
    if not body.get("stream"):
        handler.send_json(
            {
                **base,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": openai_usage(),
            }
        )
        return
    chunks = [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
    if tool:
        call = message["tool_calls"][0]
        chunks.append(
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": 0, "id": call["id"], "type": "function", "function": {"name": TOOL_NAME, "arguments": ""}}
                    ]
                },
                "finish_reason": None,
            }
        )
        chunks.append(
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": call["function"]["arguments"]}}]},
                "finish_reason": None,
            }
        )
    else:
        for piece in ("It is sunny", " in Paris."):
            chunks.append({"index": 0, "delta": {"content": piece}, "finish_reason": None})
    chunks.append({"index": 0, "delta": {}, "finish_reason": finish})
    events = [{**base, "object": "chat.completion.chunk", "choices": [c]} for c in chunks]
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": openai_usage()})
    handler.send_sse([json.dumps(e) for e in events] + ["[DONE]"])


# ---------------------------------------------------------------- Anthropic


def anthropic_has_tool_result(body):
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return True
    return False


def anthropic_usage(output=True):
    u = USAGE["anthropic"]
    usage = {
        "input_tokens": u["input"],
        "cache_read_input_tokens": u["cache_read"],
        "cache_creation_input_tokens": u["cache_creation"],
        "output_tokens": u["output"] if output else 1,
    }
    return usage


def anthropic_messages(handler, body):
    model = body.get("model", "claude-sonnet-4-5")
    tool = wants_tool_call(anthropic_has_tool_result(body), bool(body.get("tools")))
    if tool:
        content = [{"type": "tool_use", "id": TOOL_CALL_ID, "name": TOOL_NAME, "input": TOOL_ARGS}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": ANSWER}]
        stop = "end_turn"
    message = {
        "id": "msg_fake_1",
        "type": "message",
        "role": "assistant",
        "model": f"{model}-2026",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": anthropic_usage(),
    }
    if not body.get("stream"):
        handler.send_json(message)
        return
    start = {**message, "content": [], "stop_reason": None, "usage": anthropic_usage(output=False)}
    events = [("message_start", {"type": "message_start", "message": start})]
    for i, block in enumerate(content):
        if block["type"] == "text":
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}})
            )
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block["text"]}},
                )
            )
        else:
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}},
                )
            )
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": anthropic_usage(),
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    handler.send_sse([json.dumps(data) for _, data in events], names=[name for name, _ in events])


# ---------------------------------------------------------------- Gemini


def gemini_has_tool_result(body):
    for c in body.get("contents", []):
        if any("functionResponse" in p for p in c.get("parts", [])):
            return True
    return False


def gemini_usage():
    u = USAGE["gemini"]
    return {
        "promptTokenCount": u["prompt"],
        "cachedContentTokenCount": u["cached"],
        "candidatesTokenCount": u["candidates"],
        "thoughtsTokenCount": u["thoughts"],
        "totalTokenCount": u["prompt"] + u["candidates"] + u["thoughts"],
    }


def gemini_generate(handler, body, model, stream):
    tool = wants_tool_call(gemini_has_tool_result(body), bool(body.get("tools")))
    if tool:
        parts = [{"functionCall": {"id": TOOL_CALL_ID, "name": TOOL_NAME, "args": TOOL_ARGS}}]
    else:
        parts = [{"text": ANSWER}]
    response = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": gemini_usage(),
        "modelVersion": f"{model}-2026",
        "responseId": "gemini-fake-1",
    }
    if stream:
        handler.send_sse([json.dumps(response)])
    else:
        handler.send_json(response)


# ---------------------------------------------------------------- server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, obj, status=200):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_sse(self, datas, names=None):
        out = []
        for i, data in enumerate(datas):
            if names:
                out.append(f"event: {names[i]}\n")
            out.append(f"data: {data}\n\n")
        payload = "".join(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        path = self.path.split("?")[0]
        if path.endswith("/chat/completions"):
            openai_chat(self, body)
        elif path.endswith("/messages"):
            anthropic_messages(self, body)
        elif ":generateContent" in path or ":streamGenerateContent" in path:
            model = path.rsplit("/", 1)[-1].split(":")[0]
            gemini_generate(self, body, model, ":streamGenerateContent" in path)
        else:
            self.send_json({"error": {"message": f"fake LLM: no route for {path}"}}, status=404)


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
