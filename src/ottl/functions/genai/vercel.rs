//! The Vercel AI SDK's messages (`GenAIMessages(attributes, prefix, "vercel")`):
//! - `{prefix}.messages` (`ai.prompt.messages`): a JSON list of the SDK's model messages,
//!   `{role, content}` where content is a string or parts: `text`, `reasoning`, `image`,
//!   `file`, `tool-call {toolCallId, toolName, input | args}`, `tool-result {toolCallId,
//!   toolName, output: {type, value} | result}`.
//! - otherwise `{prefix}.text`, `{prefix}.reasoningText`, `{prefix}.toolCalls` (JSON
//!   `[{toolCallId, toolName, input | args}]`) and `{prefix}.finishReason`
//!   (`ai.response.*`): the one assistant message the call produced.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::{arguments, call_part, json_str, response_part, str_out, text, text_part, Message, Out};
use crate::otlp::KeyValue;
use crate::ottl::eval::EvalResult;

fn attribute<'m>(map: &'m [KeyValue], prefix: &str, name: &str) -> Option<&'m KeyValue> {
    map.iter().find(|kv| {
        kv.key.len() == prefix.len() + 1 + name.len()
            && kv.key.starts_with(prefix)
            && kv.key[prefix.len()..].starts_with('.')
            && kv.key.ends_with(name)
    })
}

pub(super) fn with_messages<R>(
    map: &[KeyValue],
    prefix: &str,
    f: impl FnOnce(Option<&[Message<'_>]>) -> EvalResult<R>,
) -> EvalResult<R> {
    if let Some(list) = attribute(map, prefix, "messages") {
        let document: Option<Json> = serde_json::from_str(&text(list)).ok();
        let messages: Vec<Message<'_>> = match &document {
            Some(Json::Array(items)) => items.iter().filter_map(message).collect(),
            _ => Vec::new(),
        };
        return f((!messages.is_empty()).then_some(messages.as_slice()));
    }
    let calls: Option<Json> = attribute(map, prefix, "toolCalls").and_then(|kv| serde_json::from_str(&text(kv)).ok());
    let mut parts = Vec::new();
    if let Some(reasoning) = attribute(map, prefix, "reasoningText")
        .map(text)
        .filter(|t| !t.is_empty())
    {
        parts.push(Out::Obj(vec![
            ("type", str_out("reasoning")),
            ("content", Out::Str(reasoning)),
        ]));
    }
    if let Some(answer) = attribute(map, prefix, "text").map(text).filter(|t| !t.is_empty()) {
        parts.push(text_part(answer));
    }
    if let Some(Json::Array(calls)) = &calls {
        parts.extend(calls.iter().filter_map(tool_call));
    }
    if parts.is_empty() {
        return f(None);
    }
    let reply = Message {
        role: Cow::Borrowed("assistant"),
        parts,
        finish_reason: attribute(map, prefix, "finishReason").map(text),
    };
    f(Some(std::slice::from_ref(&reply)))
}

fn message(value: &Json) -> Option<Message<'_>> {
    let object = value.as_object()?;
    let role = json_str(object.get("role")).unwrap_or_default();
    let parts = match object.get("content") {
        Some(Json::String(s)) if role == "tool" => vec![response_part(None, str_out(s.as_str()))],
        Some(Json::String(s)) => vec![text_part(s.as_str())],
        Some(Json::Array(items)) => items.iter().filter_map(part).collect(),
        _ => Vec::new(),
    };
    Some(Message {
        role,
        parts,
        finish_reason: None,
    })
}

/// `input` (v5+) or `args` (v4): an object, or JSON text of one.
fn call_arguments(call: &serde_json::Map<String, Json>) -> Option<Out<'_>> {
    match call.get("input").or_else(|| call.get("args"))? {
        Json::String(s) => Some(arguments(Cow::Borrowed(s.as_str()))),
        other => Some(Out::Raw(other.clone())),
    }
}

fn tool_call(value: &Json) -> Option<Out<'_>> {
    let call = value.as_object()?;
    Some(call_part(
        json_str(call.get("toolCallId")),
        json_str(call.get("toolName")).unwrap_or_default(),
        call_arguments(call),
    ))
}

/// A media part: a URL is a `uri`, anything else inline data (`blob`).
fn media<'a>(data: &'a str, mime: Option<&'a str>) -> Out<'a> {
    let is_url = data.starts_with("http://") || data.starts_with("https://") || data.starts_with("gs://");
    let mut fields = vec![("type", str_out(if is_url { "uri" } else { "blob" }))];
    if let Some(kind) = mime
        .and_then(|m| m.split('/').next())
        .filter(|k| matches!(*k, "image" | "audio" | "video"))
    {
        fields.push(("modality", str_out(kind)));
    }
    if let Some(mime) = mime {
        fields.push(("mime_type", str_out(mime)));
    }
    fields.push((if is_url { "uri" } else { "content" }, str_out(data)));
    Out::Obj(fields)
}

fn part(value: &Json) -> Option<Out<'_>> {
    let object = value.as_object()?;
    let mime = object
        .get("mediaType")
        .or_else(|| object.get("mimeType"))
        .and_then(Json::as_str);
    Some(match object.get("type").and_then(Json::as_str)? {
        "text" => text_part(json_str(object.get("text"))?),
        "reasoning" => Out::Obj(vec![
            ("type", str_out("reasoning")),
            ("content", Out::Str(json_str(object.get("text"))?)),
        ]),
        "tool-call" => tool_call(value)?,
        "tool-result" => {
            // v5+: `output: {type: text|json|error-text|error-json|content, value}`; v4: `result`.
            let result = match object.get("output") {
                Some(Json::Object(output)) if output.contains_key("value") => output.get("value"),
                Some(other) => Some(other),
                None => object.get("result"),
            };
            let response = match result {
                Some(Json::String(s)) => str_out(s.as_str()),
                Some(other) => Out::Raw(other.clone()),
                None => Out::Raw(Json::Null),
            };
            response_part(json_str(object.get("toolCallId")), response)
        }
        "image" => media(object.get("image").and_then(Json::as_str)?, mime),
        "file" => media(object.get("data").and_then(Json::as_str)?, mime),
        _ => Out::Raw(value.clone()),
    })
}
