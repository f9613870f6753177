//! intake extensions (not upstream OTTL): rebuilding flattened, indexed message
//! attributes into the GenAI conventions' JSON message structure. Stable OTTL cannot
//! iterate, so this one step lives here, parametrised by the source's flattening scheme
//! rather than special-cased per source in Rust (CANONICAL.md).
//!
//! `GenAIMessages(map, prefix, scheme, Optional[select])`:
//! - `scheme` `"openinference"`: `{prefix}.N.message.{role, content, name, tool_call_id,
//!   contents.M.message_content.{type,text}, tool_calls.K.tool_call.{id, function.name,
//!   function.arguments}}`.
//! - `scheme` `"indexed"` (OpenLLMetry ≤0.4): `{prefix}.N.{role, content, tool_call_id,
//!   finish_reason, tool_calls.K.{id, name, arguments}}`.
//! - `select` `"messages"` (default): every non-system message as
//!   `[{role, parts:[…]}]`; `"system"`: the parts of system messages (for
//!   `gen_ai.system_instructions`); `"finish_reasons"`: the messages' finish reasons
//!   as a string list.
//!
//! Returns nil when the map has no such keys, so `set(…) where … != nil` style guards work.
//!
//! `GenAIMessagesFromJSON(value, scheme, Optional[default_role], Optional[select])`: a JSON
//! string holding a source's own message list (or one message), rewritten in the
//! conventions' structure; `select` as above, and output messages keep their
//! `finish_reason`.
//! - `scheme` `"gemini"`: Gemini `Content` objects, `{role, parts:[{text, thought},
//!   {functionCall:{id, name, args}}, {functionResponse:{id, name, response}},
//!   {inlineData:{mimeType, data}}, {fileData:{mimeType, fileUri}}]}`. Role `model` becomes
//!   `assistant`; a message of function responses only becomes `tool`; thoughts become
//!   `reasoning` parts; an unknown part is kept as it was sent. `finishReason` becomes a
//!   lower-case `finish_reason`. A message without a role takes `default_role`.
//! - `scheme` `"langchain"`: `{"messages": [[…]]}` (first batch), `{"messages": […]}`,
//!   `{"generations": [[{text, message, generation_info.finish_reason}]]}` or a bare list;
//!   each message plain (`{type: human|ai|system|tool, content, tool_calls, tool_call_id}`)
//!   or LangChain-serialised (`{lc, id: [… "HumanMessage"], kwargs}`). Content lists keep
//!   `text` and `image_url` parts; tool messages become `tool_call_response` parts.
//!
//! Returns nil when the value is not a string holding a JSON object or list.

mod convention;
mod vercel;

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value as Json;
use smallvec::SmallVec;

use super::super::context::{ContextKind, Field, MemoEntry, MemoViews, Target, MEMO_VIEWS};
use super::super::error::ParseError;
use super::super::eval::{has_prefix, Converter, EvalError, EvalResult, Expr};
use super::super::signature::{opt, req, Args};
use super::super::value::Value;
use super::strings::{call, expect_str};
use super::{converter, param, FunctionSpec};
use crate::otlp::json::first_special_byte;
use crate::otlp::{any_value, AnyValue, KeyValue};

/// The views a message extension can return.
const SELECTS: [&str; MEMO_VIEWS] = ["messages", "system", "finish_reasons"];

pub const SPECS: &[FunctionSpec] = &[
    converter(
        "GenAIMessages",
        &[
            req(param::TARGET),
            req(param::PREFIX),
            req(param::SCHEME),
            opt(param::SELECT),
        ],
        |a| {
            a.check_literal_choice(param::SCHEME, &["openinference", "indexed", "vercel"])?;
            a.check_literal_choice(param::SELECT, &SELECTS)?;
            match memoized(a)? {
                Some(converter) => Ok(converter),
                None => call(a, genai_messages),
            }
        },
    ),
    converter(
        "GenAIMessagesFromJSON",
        &[
            req(param::TARGET),
            req(param::SCHEME),
            opt(param::DEFAULT_ROLE),
            opt(param::SELECT),
        ],
        |a| {
            a.check_literal_choice(param::SCHEME, &["gemini", "langchain", "convention"])?;
            a.check_literal_choice(param::SELECT, &SELECTS)?;
            call(a, genai_messages_from_json)
        },
    ),
];

/// A JSON object whose keys print in the order they were added, whatever serde_json's
/// map ordering feature is: golden outputs must not depend on a build feature. Texts are
/// borrowed from the attributes they come from and escaped straight into the output.
#[derive(Debug, Clone)]
enum Out<'a> {
    Str(Cow<'a, str>),
    Raw(Json),
    Obj(Vec<(&'static str, Out<'a>)>),
    /// `{"type":"text","content":…}`, the commonest part, written without a field list.
    Text(Cow<'a, str>),
}

/// `s` as a JSON string, escaped exactly as serde_json escapes it (quote, backslash and
/// control characters; nothing else).
fn push_json_str(buf: &mut String, s: &str) {
    buf.reserve(s.len() + 2);
    buf.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        // Texts are long runs that need no escape: found eight bytes at a time.
        let stop = first_special_byte(bytes, start);
        buf.push_str(&s[start..stop]);
        let Some(&b) = bytes.get(stop) else { break };
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => "",
        };
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.push_str("\\u00");
            buf.push(HEX[(b >> 4) as usize] as char);
            buf.push(HEX[(b & 0xf) as usize] as char);
        } else {
            buf.push_str(escape);
        }
        start = stop + 1;
    }
    buf.push('"');
}

impl Out<'_> {
    fn write(&self, buf: &mut String) {
        match self {
            Out::Str(s) => push_json_str(buf, s),
            Out::Raw(v) => write_sorted(v, buf),
            Out::Text(content) => {
                buf.push_str("{\"type\":\"text\",\"content\":");
                push_json_str(buf, content);
                buf.push('}');
            }
            Out::Obj(fields) => {
                buf.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        buf.push(',');
                    }
                    push_json_str(buf, k);
                    buf.push(':');
                    v.write(buf);
                }
                buf.push('}');
            }
        }
    }
}

/// Source JSON (tool-call arguments) with object keys sorted.
fn write_sorted(value: &Json, buf: &mut String) {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            buf.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                push_json_str(buf, k);
                buf.push(':');
                write_sorted(&map[k], buf);
            }
            buf.push('}');
        }
        Json::Array(items) => {
            buf.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                write_sorted(item, buf);
            }
            buf.push(']');
        }
        Json::String(s) => push_json_str(buf, s),
        other => buf.push_str(&other.to_string()),
    }
}

fn write_list(items: &[Out<'_>], buf: &mut String) {
    buf.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        item.write(buf);
    }
    buf.push(']');
}

/// What `collect` finds; on the stack for the usual handful of flattened keys.
type Collected<'m> = SmallVec<[(usize, &'m str, &'m KeyValue); 16]>;

/// Flattened keys under a prefix: (index, rest of key, value), ordered by index and, within
/// one index, as the attributes have them: one list for all messages.
fn collect<'m>(map: &'m [KeyValue], prefix: &str) -> Collected<'m> {
    let mut out = Collected::new();
    collect_into(map, prefix, &mut out);
    out
}

/// `collect` into a list the caller holds (empty on entry): the list is not moved out on
/// its way back.
fn collect_into<'m>(map: &'m [KeyValue], prefix: &str, out: &mut Collected<'m>) {
    let p = prefix.as_bytes();
    let mut sorted = true;
    for kv in map {
        let key = kv.key.as_bytes();
        // The byte after the prefix first: it rules out most keys without comparing the
        // prefix.
        if key.get(p.len()) != Some(&b'.') || !has_prefix(key, p) {
            continue;
        }
        let rest = &kv.key[p.len() + 1..];
        let Some(dot) = rest.bytes().position(|b| b == b'.') else {
            continue;
        };
        let Some(index) = parse_index(&rest[..dot]) else {
            continue;
        };
        sorted &= out.last().is_none_or(|(last, _, _)| *last <= index);
        out.push((index, &rest[dot + 1..], kv));
    }
    if !sorted {
        // Stable: a message's fields keep the attributes' order.
        out.sort_by_key(|(index, _, _)| *index);
    }
}

/// A message index as `str::parse::<usize>` reads it; short runs of digits (all of them,
/// in practice) without its general path.
fn parse_index(digits: &str) -> Option<usize> {
    if (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(digits.bytes().fold(0, |n, b| n * 10 + usize::from(b - b'0')));
    }
    digits.parse().ok()
}

/// An attribute's value as text, borrowed when it is a string.
fn text(kv: &KeyValue) -> Cow<'_, str> {
    if let Some(AnyValue {
        value: Some(any_value::Value::StringValue(s)),
    }) = &kv.value
    {
        return Cow::Borrowed(s);
    }
    Value::from_optional_any(kv.value.as_ref())
        .as_string_like()
        .map(|s| Cow::Owned(s.into_owned()))
        .unwrap_or_default()
}

/// Tool-call arguments are JSON text in every source; the convention wants the object.
fn arguments<'a>(raw: Cow<'a, str>) -> Out<'a> {
    match serde_json::from_str::<Json>(&raw) {
        Ok(v) if v.is_object() || v.is_array() => Out::Raw(v),
        _ => Out::Str(raw),
    }
}

fn text_part<'a>(content: impl Into<Cow<'a, str>>) -> Out<'a> {
    Out::Text(content.into())
}

/// A tool's result; sources that do not record the call's id (OpenInference's Gemini
/// messages) still get the part, without `id`.
fn response_part<'a>(id: Option<Cow<'a, str>>, response: Out<'a>) -> Out<'a> {
    let mut fields = vec![("type", Out::Str(Cow::Borrowed("tool_call_response")))];
    if let Some(id) = id {
        fields.push(("id", Out::Str(id)));
    }
    fields.push(("response", response));
    Out::Obj(fields)
}

fn call_part<'a>(id: Option<Cow<'a, str>>, name: Cow<'a, str>, args: Option<Out<'a>>) -> Out<'a> {
    let mut fields = vec![("type", Out::Str(Cow::Borrowed("tool_call")))];
    if let Some(id) = id {
        fields.push(("id", Out::Str(id)));
    }
    fields.push(("name", Out::Str(name)));
    if let Some(args) = args {
        fields.push(("arguments", args));
    }
    Out::Obj(fields)
}

struct Message<'a> {
    role: Cow<'a, str>,
    parts: Vec<Out<'a>>,
    finish_reason: Option<Cow<'a, str>>,
}

fn field<'a>(fields: &[(&str, &'a KeyValue)], name: &str) -> Option<&'a KeyValue> {
    fields.iter().find(|(f, _)| *f == name).map(|(_, kv)| *kv)
}

/// Groups `a.N.b` sub-keys of one message: N -> (b -> value), in index order.
fn sub_items<'a>(fields: &[(&'a str, &'a KeyValue)], prefix: &str) -> Vec<(usize, Vec<(&'a str, &'a KeyValue)>)> {
    let mut out: Vec<(usize, Vec<(&str, &KeyValue)>)> = Vec::new();
    for (f, kv) in fields {
        let Some(rest) = f.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some(dot) = rest.bytes().position(|b| b == b'.') else {
            continue;
        };
        if let Some(index) = parse_index(&rest[..dot]) {
            push_grouped(&mut out, index, (&rest[dot + 1..], *kv));
        }
    }
    out
}

/// Adds `item` to group `index`, keeping groups sorted by index (few groups: a scan beats
/// a tree).
fn push_grouped<T>(groups: &mut Vec<(usize, Vec<T>)>, index: usize, item: T) {
    match groups.iter().position(|(i, _)| *i >= index) {
        Some(at) if groups[at].0 == index => groups[at].1.push(item),
        Some(at) => groups.insert(at, (index, vec![item])),
        None => groups.push((index, vec![item])),
    }
}

fn openinference<'a>(fields: &[(&'a str, &'a KeyValue)]) -> Message<'a> {
    // One pass over the message's fields; the first of each name counts.
    let (mut role, mut tool_call_id, mut content) = (None, None, None);
    let (mut has_contents, mut has_tool_calls) = (false, false);
    for &(name, kv) in fields {
        match name {
            "message.role" => _ = role.get_or_insert(kv),
            "message.tool_call_id" => _ = tool_call_id.get_or_insert(kv),
            "message.content" => _ = content.get_or_insert(kv),
            _ => {
                has_contents |= name.starts_with("message.contents.");
                has_tool_calls |= name.starts_with("message.tool_calls.");
            }
        }
    }
    let role = role.map(text).unwrap_or_default();
    let mut parts = Vec::new();
    let tool_call_id = tool_call_id.map(text);
    let text_or_response = |t: Cow<'a, str>| {
        if role == "tool" {
            response_part(tool_call_id.clone(), Out::Str(t))
        } else {
            text_part(t)
        }
    };
    let content = content.map(text);
    let contents = if has_contents {
        sub_items(fields, "message.contents")
    } else {
        Vec::new()
    };
    // Without a content list (the usual message) the content is the only text part.
    let mut texts: Vec<Cow<'a, str>> = Vec::new();
    if contents.is_empty() {
        parts.extend(content.map(text_or_response));
    } else {
        texts.extend(content);
    }
    for (_, content) in contents {
        let kind = field(&content, "message_content.type")
            .map(text)
            .unwrap_or(Cow::Borrowed("text"));
        if kind == "text" {
            if let Some(t) = field(&content, "message_content.text") {
                texts.push(text(t));
            }
        } else if let Some(url) = field(&content, "message_content.image.image.url") {
            parts.push(Out::Obj(vec![
                ("type", Out::Str(Cow::Borrowed("uri"))),
                ("modality", Out::Str(Cow::Borrowed("image"))),
                ("uri", Out::Str(text(url))),
            ]));
        }
    }
    parts.extend(texts.into_iter().map(text_or_response));
    let calls = if has_tool_calls {
        sub_items(fields, "message.tool_calls")
    } else {
        Vec::new()
    };
    for (_, call) in calls {
        parts.push(call_part(
            field(&call, "tool_call.id").map(text),
            field(&call, "tool_call.function.name").map(text).unwrap_or_default(),
            field(&call, "tool_call.function.arguments").map(|a| arguments(text(a))),
        ));
    }
    Message {
        role,
        parts,
        finish_reason: None,
    }
}

fn indexed<'a>(fields: &[(&'a str, &'a KeyValue)]) -> Message<'a> {
    let role = field(fields, "role").map(text).unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(content) = field(fields, "content") {
        if role == "tool" {
            parts.push(response_part(
                field(fields, "tool_call_id").map(text),
                Out::Str(text(content)),
            ));
        } else {
            parts.push(text_part(text(content)));
        }
    }
    for (_, call) in sub_items(fields, "tool_calls") {
        parts.push(call_part(
            field(&call, "id").map(text),
            field(&call, "name").map(text).unwrap_or_default(),
            field(&call, "arguments").map(|a| arguments(text(a))),
        ));
    }
    Message {
        role,
        parts,
        finish_reason: field(fields, "finish_reason").map(text),
    }
}

/// `GenAIMessages(attributes, "literal prefix", "scheme"[, "view"])` on the item's own
/// attributes, the usual form: every view is rendered in one pass and kept in the
/// target's memo, so the `system` and `messages` views of one prefix parse the attributes
/// once. Any other form evaluates its arguments each call.
#[derive(Debug)]
struct MemoizedMessages {
    context: ContextKind,
    map: Expr,
    prefix: Arc<str>,
    scheme: Arc<str>,
    view: usize,
    /// The scheme's plain fields, looked up once here.
    plain: Option<PlainFields>,
    /// Set at compile time when the group may read this view more than once per item
    /// (`Args::memo_use`): then it is copied out of the memo; otherwise moved.
    copied: Arc<AtomicBool>,
}

fn memoized(a: &Args<'_>) -> Result<Option<Box<dyn Converter>>, ParseError> {
    let (Some(prefix), Some(scheme)) = (a.literal_string(param::PREFIX)?, a.literal_string(param::SCHEME)?) else {
        return Ok(None);
    };
    let view = match a.literal_string(param::SELECT)? {
        Some(select) => SELECTS.iter().position(|s| *s == select),
        None if a.is_given(param::SELECT) => None,
        None => Some(0),
    };
    let map = a.expr(param::TARGET)?;
    let context = match map.as_path() {
        Some(path) if path.keys.is_empty() => match path.field {
            Field::Attributes(context) => context,
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some(view) = view else { return Ok(None) };
    Ok(Some(Box::new(MemoizedMessages {
        context,
        map,
        prefix: prefix.into(),
        scheme: scheme.into(),
        plain: plain_fields(scheme),
        copied: a.memo_use(format!(
            "GenAIMessages\u{1f}{context:?}\u{1f}{prefix}\u{1f}{scheme}\u{1f}{view}"
        )),
        view,
    })))
}

impl Converter for MemoizedMessages {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let bit = 1u32 << self.view;
        let copy = self.copied.load(Ordering::Relaxed);
        let mut moved_out = false;
        if let Some(entry) = target
            .memo
            .borrow_mut()
            .iter_mut()
            .find(|e| e.context == self.context && e.prefix == self.prefix && e.tag == self.scheme)
        {
            if entry.taken & bit == 0 {
                if copy {
                    return Ok(entry.views[self.view].clone());
                }
                entry.taken |= bit;
                return Ok(std::mem::replace(&mut entry.views[self.view], Value::Nil));
            }
            moved_out = true;
        }
        let map = match self.map.as_path().and_then(|path| path.whole_map(target)) {
            Some(map) => Value::Map(Cow::Borrowed(map)),
            None => self.map.eval(target)?,
        };
        let plain = self.plain.as_ref();
        if moved_out {
            // Moved out already (the one use evaluated again for this item): rebuilt, not kept.
            let mut views = no_views();
            all_views(&map, &self.prefix, &self.scheme, plain, &mut views)?;
            return Ok(std::mem::replace(&mut views[self.view], Value::Nil));
        }
        // Rendered into the entry where it is kept, not moved there from the stack.
        let mut memo = target.memo.borrow_mut();
        memo.push(MemoEntry {
            context: self.context,
            prefix: Arc::clone(&self.prefix),
            tag: Arc::clone(&self.scheme),
            views: no_views(),
            taken: 0,
        });
        let last = memo.len() - 1;
        let entry = &mut memo[last];
        if let Err(error) = all_views(&map, &self.prefix, &self.scheme, plain, &mut entry.views) {
            memo.pop();
            return Err(error);
        }
        if copy {
            return Ok(entry.views[self.view].clone());
        }
        entry.taken = bit;
        Ok(std::mem::replace(&mut entry.views[self.view], Value::Nil))
    }
}

/// Runs `f` on the messages under `prefix`, parsed by `scheme` (`None` when there are
/// none). A closure, because the Vercel scheme's messages borrow from JSON parsed here.
fn with_messages<R>(
    map: &Value<'_>,
    prefix: &str,
    scheme: &str,
    f: impl FnOnce(Option<&[Message<'_>]>) -> EvalResult<R>,
) -> EvalResult<R> {
    let Value::Map(map) = map else {
        return Err(EvalError::new(format!(
            "GenAIMessages: expected pcommon.Map but got {}",
            map.type_name()
        )));
    };
    let parse: ParseFn = match scheme {
        "openinference" => openinference,
        "indexed" => indexed,
        "vercel" => return vercel::with_messages(map, prefix, f),
        other => {
            return Err(EvalError::new(format!(
                "GenAIMessages: unknown scheme `{other}` (openinference, indexed, vercel)"
            )))
        }
    };
    let items = collect(map, prefix);
    if items.is_empty() {
        return f(None);
    }
    parsed(&items, parse, f)
}

/// How a flattening scheme reads one message's fields.
type ParseFn = for<'a> fn(&[(&'a str, &'a KeyValue)]) -> Message<'a>;

/// Runs `f` on the collected keys (not empty) parsed into one message per index.
fn parsed<R>(
    items: &[(usize, &str, &KeyValue)],
    parse: ParseFn,
    f: impl FnOnce(Option<&[Message<'_>]>) -> EvalResult<R>,
) -> EvalResult<R> {
    let fields: Vec<(&str, &KeyValue)> = items.iter().map(|(_, name, kv)| (*name, *kv)).collect();
    let mut messages: Vec<Message<'_>> = Vec::with_capacity(items.last().map_or(0, |(i, _, _)| i + 1).min(items.len()));
    let mut start = 0;
    for chunk in items.chunk_by(|a, b| a.0 == b.0) {
        messages.push(parse(&fields[start..start + chunk.len()]));
        start += chunk.len();
    }
    f(Some(&messages))
}

/// A flattening scheme's plain fields (`plain_views`); None for the Vercel scheme and
/// unknown ones.
fn plain_fields(scheme: &str) -> Option<PlainFields> {
    match scheme {
        "openinference" => Some(PlainFields {
            role: "message.role",
            content: "message.content",
            parse: openinference,
        }),
        "indexed" => Some(PlainFields {
            role: "role",
            content: "content",
            parse: indexed,
        }),
        _ => None,
    }
}

/// Every view, in `SELECTS` order, written into `views` (all nil on entry); `plain` is
/// `plain_fields(scheme)`.
fn all_views(
    map: &Value<'_>,
    prefix: &str,
    scheme: &str,
    plain: Option<&PlainFields>,
    views: &mut MemoViews,
) -> EvalResult<()> {
    if let (Value::Map(map), Some(plain)) = (map, plain) {
        let mut items = Collected::new();
        collect_into(map, prefix, &mut items);
        if items.is_empty() || plain_views(&items, plain, views) {
            return Ok(());
        }
        return parsed(&items, plain.parse, |messages| render_views(messages, scheme, views));
    }
    with_messages(map, prefix, scheme, |messages| render_views(messages, scheme, views))
}

/// Every view nil.
fn no_views() -> MemoViews {
    [Value::Nil, Value::Nil, Value::Nil]
}

fn render_views(messages: Option<&[Message<'_>]>, scheme: &str, views: &mut MemoViews) -> EvalResult<()> {
    if let Some(messages) = messages {
        for (view, select) in views.iter_mut().zip(SELECTS) {
            *view = render(messages, select, scheme == "vercel", "GenAIMessages")?;
        }
    }
    Ok(())
}

/// A scheme's names for a message's role and content, and its general parser.
#[derive(Debug)]
struct PlainFields {
    role: &'static str,
    content: &'static str,
    parse: ParseFn,
}

/// The views of messages that are each a string role (not `tool`) and an optional string
/// content and nothing else, the usual chat turn, written straight from the attributes:
/// the text `render` writes for the parsed messages, without parsing them. False when a
/// message is anything more (then `views` is left as it was); the general path takes
/// those.
fn plain_views(items: &[(usize, &str, &KeyValue)], fields: &PlainFields, views: &mut MemoViews) -> bool {
    fn string(kv: &KeyValue) -> Option<&str> {
        match &kv.value {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(s)),
            }) => Some(s),
            _ => None,
        }
    }
    let mut messages: SmallVec<[(&str, Option<&str>); 8]> = SmallVec::new();
    for chunk in items.chunk_by(|a, b| a.0 == b.0) {
        let (mut role, mut content) = (None, None);
        for &(_, name, kv) in chunk {
            // The first of a name counts, as `field` finds it.
            if name == fields.role {
                if role.is_none() {
                    let Some(text) = string(kv) else { return false };
                    role = Some(text);
                }
            } else if name == fields.content {
                if content.is_none() {
                    let Some(text) = string(kv) else { return false };
                    content = Some(text);
                }
            } else {
                return false;
            }
        }
        let role = role.unwrap_or_default();
        if role == "tool" {
            return false;
        }
        messages.push((role, content));
    }
    let text_part = |buf: &mut String, content: &str| {
        buf.push_str("{\"type\":\"text\",\"content\":");
        push_json_str(buf, content);
        buf.push('}');
    };
    // Exact when nothing needs escaping (the usual text): a view moved out of the memo
    // stays in the attributes as allocated, so no slack is carried along.
    const TEXT_PART: usize = r#"{"type":"text","content":""}"#.len();
    const MESSAGE: usize = r#"{"role":"","parts":[]}"#.len();
    let text_part_len = |content: Option<&str>| content.map_or(0, |c| TEXT_PART + c.len());
    if messages.iter().any(|(role, _)| !is_instruction(role)) {
        let length = messages
            .iter()
            .filter(|(role, _)| !is_instruction(role))
            .map(|(role, content)| MESSAGE + canonical_role(role).len() + text_part_len(*content) + 1)
            .sum::<usize>()
            + 1;
        let mut buf = String::with_capacity(length);
        buf.push('[');
        for (role, content) in messages.iter().filter(|(role, _)| !is_instruction(role)) {
            if buf.len() > 1 {
                buf.push(',');
            }
            buf.push_str("{\"role\":");
            push_role(&mut buf, canonical_role(role));
            buf.push_str(",\"parts\":[");
            if let Some(content) = content {
                text_part(&mut buf, content);
            }
            buf.push_str("]}");
        }
        buf.push(']');
        views[0] = Value::string(buf);
    }
    if messages
        .iter()
        .any(|(role, content)| is_instruction(role) && content.is_some())
    {
        let length = messages
            .iter()
            .filter(|(role, _)| is_instruction(role))
            .map(|(_, content)| content.map_or(0, |c| text_part_len(Some(c)) + 1))
            .sum::<usize>()
            + 1;
        let mut buf = String::with_capacity(length);
        buf.push('[');
        for content in messages
            .iter()
            .filter(|(role, _)| is_instruction(role))
            .filter_map(|(_, content)| *content)
        {
            if buf.len() > 1 {
                buf.push(',');
            }
            text_part(&mut buf, content);
        }
        buf.push(']');
        views[1] = Value::string(buf);
    }
    true
}

fn genai_messages(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let prefix = expect_str(&v[1], "GenAIMessages prefix")?;
    let scheme = expect_str(&v[2], "GenAIMessages scheme")?;
    let select = match &v[3] {
        Value::Nil => "messages",
        other => expect_str(other, "GenAIMessages select")?,
    };
    with_messages(&v[0], prefix, scheme, |messages| match messages {
        Some(messages) => render(messages, select, scheme == "vercel", "GenAIMessages"),
        None => Ok(Value::Nil),
    })
}

/// `system` and `developer` messages are instructions (`gen_ai.system_instructions`).
fn is_instruction(role: &str) -> bool {
    role == "system" || role == "developer"
}

/// A role as a JSON string: the usual roles written as they are, without an escape scan.
fn push_role(buf: &mut String, role: &str) {
    let quoted = match role {
        "user" => "\"user\"",
        "assistant" => "\"assistant\"",
        "system" => "\"system\"",
        "tool" => "\"tool\"",
        "developer" => "\"developer\"",
        other => return push_json_str(buf, other),
    };
    buf.push_str(quoted);
}

/// One name per role whatever the source called it: Gemini's `model` is the assistant.
fn canonical_role(role: &str) -> &str {
    match role {
        "model" => "assistant",
        other => other,
    }
}

/// The selected view of parsed messages: the non-system messages, the parts of the system
/// ones, or the finish reasons, written straight into one string. Nil when the view is
/// empty.
fn render(
    messages: &[Message<'_>],
    select: &str,
    with_finish_reason: bool,
    function: &str,
) -> EvalResult<Value<'static>> {
    // An empty view is nil: known before a buffer is allocated for it.
    let empty = match select {
        "messages" => messages.iter().all(|m| is_instruction(&m.role)),
        "system" => !messages.iter().any(|m| is_instruction(&m.role) && !m.parts.is_empty()),
        _ => false,
    };
    if empty {
        return Ok(Value::Nil);
    }
    let mut buf = String::with_capacity(256);
    match select {
        "messages" => {
            buf.push('[');
            for m in messages.iter().filter(|m| !is_instruction(&m.role)) {
                if buf.len() > 1 {
                    buf.push(',');
                }
                buf.push_str("{\"role\":");
                push_json_str(&mut buf, canonical_role(&m.role));
                buf.push_str(",\"parts\":");
                write_list(&m.parts, &mut buf);
                if let Some(reason) = m.finish_reason.as_ref().filter(|_| with_finish_reason) {
                    buf.push_str(",\"finish_reason\":");
                    push_json_str(&mut buf, reason);
                }
                buf.push('}');
            }
            buf.push(']');
        }
        "system" => {
            buf.push('[');
            for part in messages
                .iter()
                .filter(|m| is_instruction(&m.role))
                .flat_map(|m| &m.parts)
            {
                if buf.len() > 1 {
                    buf.push(',');
                }
                part.write(&mut buf);
            }
            buf.push(']');
        }
        "finish_reasons" => {
            let reasons: Vec<_> = messages
                .iter()
                .filter_map(|m| m.finish_reason.as_ref())
                .map(|r| Value::string(r.clone().into_owned()).into_any())
                .collect();
            if reasons.is_empty() {
                return Ok(Value::Nil);
            }
            return Ok(Value::List(Cow::Owned(reasons)));
        }
        other => {
            return Err(EvalError::new(format!(
                "{function}: unknown select `{other}` (messages, system, finish_reasons)"
            )))
        }
    }
    if buf.len() == 2 {
        return Ok(Value::Nil);
    }
    Ok(Value::string(buf))
}

fn genai_messages_from_json(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    const NAME: &str = "GenAIMessagesFromJSON";
    let scheme = expect_str(&v[1], "GenAIMessagesFromJSON scheme")?;
    let default_role = match &v[2] {
        Value::Nil => None,
        other => Some(expect_str(other, "GenAIMessagesFromJSON default_role")?),
    };
    let select = match &v[3] {
        Value::Nil => "messages",
        other => expect_str(other, "GenAIMessagesFromJSON select")?,
    };
    if !matches!(scheme, "gemini" | "langchain" | "convention") {
        return Err(EvalError::new(format!(
            "{NAME}: unknown scheme `{scheme}` (gemini, langchain, convention)"
        )));
    }
    let Value::Str(text) = &v[0] else {
        return Ok(Value::Nil);
    };
    let Ok(document) = serde_json::from_str::<Json>(text) else {
        return Ok(Value::Nil);
    };
    let mut messages = if scheme == "convention" {
        convention::messages(&document)
    } else if scheme == "gemini" {
        let items = match &document {
            Json::Array(items) => items.iter().collect(),
            one @ Json::Object(_) => vec![one],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .filter_map(Json::as_object)
            .map(gemini_message)
            .collect()
    } else {
        langchain_messages(&document)
    };
    for m in &mut messages {
        if m.role.is_empty() {
            m.role = Cow::Owned(default_role.unwrap_or("user").to_owned());
        }
    }
    render(&messages, select, true, NAME)
}

fn json_str(value: Option<&Json>) -> Option<Cow<'_, str>> {
    value.and_then(Json::as_str).map(Cow::Borrowed)
}

fn str_out<'a>(text: impl Into<Cow<'a, str>>) -> Out<'a> {
    Out::Str(text.into())
}

fn modality(mime: Option<&str>) -> Option<Out<'_>> {
    let kind = mime?.split('/').next()?;
    matches!(kind, "image" | "audio" | "video").then(|| str_out(kind.to_owned()))
}

fn gemini_part(part: &serde_json::Map<String, Json>) -> Out<'_> {
    if let Some(text) = json_str(part.get("text")) {
        let kind = if part.get("thought").and_then(Json::as_bool) == Some(true) {
            "reasoning"
        } else {
            "text"
        };
        return Out::Obj(vec![("type", str_out(kind)), ("content", str_out(text))]);
    }
    if let Some(call) = part.get("functionCall").and_then(Json::as_object) {
        return call_part(
            json_str(call.get("id")),
            json_str(call.get("name")).unwrap_or_default(),
            call.get("args").cloned().map(Out::Raw),
        );
    }
    if let Some(response) = part.get("functionResponse").and_then(Json::as_object) {
        let mut fields = vec![("type", str_out("tool_call_response"))];
        if let Some(id) = json_str(response.get("id")) {
            fields.push(("id", str_out(id)));
        }
        if let Some(name) = json_str(response.get("name")) {
            fields.push(("name", str_out(name)));
        }
        fields.push((
            "response",
            Out::Raw(response.get("response").cloned().unwrap_or(Json::Null)),
        ));
        return Out::Obj(fields);
    }
    for (key, kind, content) in [("inlineData", "blob", "data"), ("fileData", "uri", "fileUri")] {
        if let Some(data) = part.get(key).and_then(Json::as_object) {
            let mime = data.get("mimeType").and_then(Json::as_str);
            let mut fields = vec![("type", str_out(kind))];
            if let Some(m) = modality(mime) {
                fields.push(("modality", m));
            }
            if let Some(mime) = mime {
                fields.push(("mime_type", str_out(mime.to_owned())));
            }
            let name = if kind == "blob" { "content" } else { "uri" };
            fields.push((name, str_out(json_str(data.get(content)).unwrap_or_default())));
            return Out::Obj(fields);
        }
    }
    Out::Raw(Json::Object(part.clone()))
}

fn gemini_message(message: &serde_json::Map<String, Json>) -> Message<'_> {
    let raw_parts: Vec<&serde_json::Map<String, Json>> = message
        .get("parts")
        .and_then(Json::as_array)
        .map(|parts| parts.iter().filter_map(Json::as_object).collect())
        .unwrap_or_default();
    let only_responses = !raw_parts.is_empty() && raw_parts.iter().all(|p| p.contains_key("functionResponse"));
    let role = match message.get("role").and_then(Json::as_str) {
        _ if only_responses => Cow::Borrowed("tool"),
        Some("model") => Cow::Borrowed("assistant"),
        Some(role) => Cow::Borrowed(role),
        None => Cow::Borrowed(""),
    };
    Message {
        role,
        parts: raw_parts.into_iter().map(gemini_part).collect(),
        finish_reason: json_str(message.get("finishReason")).map(|r| Cow::Owned(r.to_ascii_lowercase())),
    }
}

/// LangChain's shapes: `{"messages": [[…]]}` (a batch: the first is taken), `{"messages": […]}`,
/// `{"generations": [[…]]}` (outputs), or a bare list of messages.
fn langchain_messages(document: &Json) -> Vec<Message<'_>> {
    fn first_batch(items: &[Json]) -> &[Json] {
        match items.first() {
            Some(Json::Array(batch)) => batch,
            _ => items,
        }
    }
    match document {
        Json::Object(o) => {
            if let Some(Json::Array(generations)) = o.get("generations") {
                return first_batch(generations)
                    .iter()
                    .filter_map(langchain_generation)
                    .collect();
            }
            match o.get("messages") {
                Some(Json::Array(items)) => first_batch(items).iter().filter_map(langchain_message).collect(),
                _ => langchain_message(document).into_iter().collect(),
            }
        }
        Json::Array(items) => first_batch(items).iter().filter_map(langchain_message).collect(),
        _ => Vec::new(),
    }
}

fn langchain_generation(generation: &Json) -> Option<Message<'_>> {
    let object = generation.as_object()?;
    let finish_reason = object
        .get("generation_info")
        .and_then(|info| json_str(info.get("finish_reason")));
    let mut message = match object.get("message") {
        Some(m) => langchain_message(m)?,
        None => Message {
            role: "assistant".into(),
            parts: vec![text_part(json_str(object.get("text"))?)],
            finish_reason: None,
        },
    };
    if message.finish_reason.is_none() {
        message.finish_reason = finish_reason;
    }
    Some(message)
}

fn langchain_role(name: &str) -> Cow<'_, str> {
    Cow::Borrowed(match name {
        "human" | "HumanMessage" | "HumanMessageChunk" => "user",
        "ai" | "AIMessage" | "AIMessageChunk" => "assistant",
        "system" | "SystemMessage" | "SystemMessageChunk" => "system",
        "tool" | "ToolMessage" | "ToolMessageChunk" | "function" | "FunctionMessage" => "tool",
        other => other,
    })
}

/// One message, plain (`{"type": "human", "content": …}`) or in LangChain's serialised form
/// (`{"lc": 1, "id": [… "HumanMessage"], "kwargs": {…}}`).
fn langchain_message(message: &Json) -> Option<Message<'_>> {
    let outer = message.as_object()?;
    let (fields, class) = match outer.get("kwargs").and_then(Json::as_object) {
        Some(kwargs) if outer.contains_key("lc") => (
            kwargs,
            outer
                .get("id")
                .and_then(Json::as_array)
                .and_then(|id| id.last())
                .and_then(Json::as_str),
        ),
        _ => (outer, None),
    };
    let role = match fields.get("type").and_then(Json::as_str) {
        Some("chat") => json_str(fields.get("role")).unwrap_or_default(),
        Some(kind) => langchain_role(kind),
        None => fields
            .get("role")
            .and_then(Json::as_str)
            .or(class)
            .map(langchain_role)
            .unwrap_or_default(),
    };
    let mut parts = Vec::new();
    let content = fields.get("content");
    if role == "tool" {
        let mut response = vec![("type", str_out("tool_call_response"))];
        if let Some(id) = json_str(fields.get("tool_call_id")) {
            response.push(("id", str_out(id)));
        }
        let value = match content {
            Some(Json::String(s)) => str_out(s.clone()),
            Some(other) => Out::Raw(other.clone()),
            None => str_out(String::new()),
        };
        response.push(("response", value));
        parts.push(Out::Obj(response));
    } else {
        match content {
            Some(Json::String(s)) if !s.is_empty() => parts.push(text_part(s.clone())),
            Some(Json::Array(items)) => parts.extend(items.iter().filter_map(langchain_content)),
            _ => {}
        }
    }
    if let Some(Json::Array(calls)) = fields.get("tool_calls") {
        for call in calls.iter().filter_map(Json::as_object) {
            parts.push(call_part(
                json_str(call.get("id")),
                json_str(call.get("name")).unwrap_or_default(),
                call.get("args").cloned().map(Out::Raw),
            ));
        }
    } else if let Some(Json::Array(calls)) = fields.get("additional_kwargs").and_then(|k| k.get("tool_calls")) {
        // OpenAI's shape, kept by older LangChain versions.
        for call in calls.iter().filter_map(Json::as_object) {
            let function = call.get("function");
            parts.push(call_part(
                json_str(call.get("id")),
                json_str(function.and_then(|f| f.get("name"))).unwrap_or_default(),
                json_str(function.and_then(|f| f.get("arguments"))).map(arguments),
            ));
        }
    }
    // A chain's inputs (`{"question": …}`) are not a message.
    if role.is_empty() && parts.is_empty() {
        return None;
    }
    let finish_reason = fields
        .get("response_metadata")
        .and_then(|m| json_str(m.get("finish_reason")));
    Some(Message {
        role,
        parts,
        finish_reason,
    })
}

fn langchain_content(item: &Json) -> Option<Out<'_>> {
    match item {
        Json::String(s) => Some(text_part(s.clone())),
        Json::Object(o) => match o.get("type").and_then(Json::as_str) {
            Some("text") => Some(text_part(json_str(o.get("text"))?)),
            Some("image_url") => {
                let url = match o.get("image_url") {
                    Some(Json::String(s)) => Cow::Borrowed(s.as_str()),
                    Some(other) => json_str(other.get("url"))?,
                    None => return None,
                };
                Some(Out::Obj(vec![
                    ("type", str_out("uri")),
                    ("modality", str_out("image")),
                    ("uri", str_out(url)),
                ]))
            }
            _ => Some(Out::Raw(item.clone())),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::string_kv;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut every_ascii: String = (0u8..0x80).map(char::from).collect();
        every_ascii.push_str("é漢字🙂\u{2028}");
        let mut texts: Vec<String> = [every_ascii.as_str(), "", "plain", "a\"b\\c\nd", "\u{0}\u{1f}\u{7f}"]
            .map(str::to_owned)
            .to_vec();
        // Long runs are scanned eight bytes at a time: an escape at every offset of them.
        for special in ['"', '\\', '\n', '\u{1}', 'é'] {
            for at in 0..24 {
                let mut text: Vec<char> = "a run of plain text, then".chars().collect();
                text[at] = special;
                texts.push(text.into_iter().collect());
            }
        }
        for text in &texts {
            let mut mine = String::new();
            push_json_str(&mut mine, text);
            assert_eq!(mine, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    /// One flattened message attribute for the plain-path property: (index, field, value),
    /// the field in the scheme's spelling or another, the value a string or not.
    fn flattened() -> impl proptest::strategy::Strategy<Value = Vec<(usize, u8, Option<String>)>> {
        use proptest::prelude::*;
        let value = prop_oneof![
            4 => prop_oneof![
                Just("system"), Just("developer"), Just("user"), Just("assistant"),
                Just("model"), Just("tool"), Just(""),
            ].prop_map(|s| Some(s.to_owned())),
            4 => r#"[a-z "\\é\n\u{1}]{0,12}"#.prop_map(Some),
            1 => Just(None),
        ];
        // Field 0 the role, 1 the content, 2 some other field of the scheme.
        prop::collection::vec((0usize..4, prop_oneof![6 => 0u8..2, 1 => Just(2u8)], value), 0..10)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The views written straight from plain messages are the views rendered from the
        /// parsed messages, byte for byte; and plain messages do take that path.
        #[test]
        fn plain_messages_are_written_as_the_parsed_ones_render(entries in flattened(), indexed_scheme: bool) {
            let (scheme, fields, other) = if indexed_scheme {
                ("indexed", ["role", "content"], "tool_call_id")
            } else {
                ("openinference", ["message.role", "message.content"], "message.name")
            };
            let attributes: Vec<KeyValue> = entries
                .iter()
                .map(|(index, field, value)| KeyValue {
                    key: format!("p.{index}.{}", fields.get(usize::from(*field)).copied().unwrap_or(other)),
                    value: Some(AnyValue {
                        value: Some(match value {
                            Some(text) => any_value::Value::StringValue(text.clone()),
                            None => any_value::Value::IntValue(7),
                        }),
                    }),
                    ..Default::default()
                })
                .collect();
            let items = collect(&attributes, "p");
            let parse: ParseFn = if indexed_scheme { indexed } else { openinference };
            let general = if items.is_empty() {
                no_views()
            } else {
                let mut views = no_views();
                parsed(&items, parse, |messages| render_views(messages, scheme, &mut views)).unwrap();
                views
            };
            let mut views = no_views();
            all_views(&Value::Map(Cow::Borrowed(&attributes)), "p", scheme, plain_fields(scheme).as_ref(), &mut views).unwrap();
            proptest::prop_assert_eq!(&views, &general);
            let plain = entries.iter().all(|(_, field, value)| *field < 2 && value.is_some())
                && !entries.iter().any(|(_, field, value)| *field == 0 && value.as_deref() == Some("tool"));
            let fields = PlainFields { role: fields[0], content: fields[1], parse };
            if plain && !items.is_empty() {
                proptest::prop_assert!(plain_views(&items, &fields, &mut no_views()), "plain messages took the general path");
            }
        }
    }

    /// A view moved out of the memo to its only use, then asked for again (which a
    /// compiled group never does): rebuilt from the attributes, the same text.
    #[test]
    fn a_view_moved_out_is_rebuilt_when_asked_again() {
        use crate::ottl::{parse_value, Compiler, Registry};
        let registry = Registry::standard();
        let compiler = Compiler::new(Some(ContextKind::Span), ContextKind::Span, &registry);
        let text = r#"GenAIMessages(attributes, "m", "openinference")"#;
        let expr = compiler.expr(&parse_value(text).unwrap()).unwrap();
        let mut span = crate::otlp::Span {
            attributes: vec![
                string_kv("m.0.message.role", "user"),
                string_kv("m.0.message.content", "hi"),
            ],
            ..Default::default()
        };
        let (mut resource, mut schema) = (Default::default(), String::new());
        let mut target = Target::new(&mut resource, &mut schema);
        target.span = Some(&mut span);
        let expected = r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#;
        for _ in 0..3 {
            assert_eq!(expr.eval(&target).unwrap(), Value::str(expected));
        }
        assert_eq!(target.memo.borrow().len(), 1, "rebuilt views are not kept twice");
    }

    /// A `set` guarded by its own value runs it once: the view is moved out of the memo
    /// (not copied as for two readers) and written exactly sized. The same view read by
    /// two statements is copied, so the second still finds it.
    #[test]
    fn a_set_guarded_by_its_own_view_moves_it_out_exactly_sized() {
        use crate::ottl::{parse_statement, Compiler, Registry};
        let registry = Registry::standard();
        let run = |statements: &[&str]| {
            let compiler = Compiler::new(Some(ContextKind::Span), ContextKind::Span, &registry);
            let compiled: Vec<_> = statements
                .iter()
                .map(|t| compiler.statement(&parse_statement(t).unwrap(), t).unwrap())
                .collect();
            let mut span = crate::otlp::Span {
                attributes: vec![
                    string_kv("m.0.message.role", "system"),
                    string_kv("m.0.message.content", "be brief"),
                    string_kv("m.1.message.role", "user"),
                    string_kv("m.1.message.content", "hi"),
                ],
                ..Default::default()
            };
            let (mut resource, mut schema) = (Default::default(), String::new());
            let mut target = Target::new(&mut resource, &mut schema);
            target.span = Some(&mut span);
            for statement in &compiled {
                statement.execute(&mut target).unwrap();
            }
            let taken = target.memo.borrow()[0].taken;
            drop(target);
            (span.attributes, taken)
        };
        let set = |to: &str, select: &str| {
            let call = format!(r#"GenAIMessages(attributes, "m", "openinference", "{select}")"#);
            format!(r#"set(attributes["{to}"], {call}) where {call} != nil"#)
        };
        let (attributes, taken) = run(&[&set("out", "messages"), &set("sys", "system")]);
        assert_eq!(taken, 0b11, "each view moved out, not copied");
        for (key, expected) in [
            ("out", r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#),
            ("sys", r#"[{"type":"text","content":"be brief"}]"#),
        ] {
            let kv = attributes.iter().find(|kv| kv.key == key).unwrap();
            let Some(any_value::Value::StringValue(s)) = kv.value.as_ref().and_then(|v| v.value.as_ref()) else {
                panic!("{key} not a string")
            };
            assert_eq!(s, expected);
            assert_eq!(s.capacity(), s.len(), "{key} sized exactly");
        }
        let (attributes, taken) = run(&[&set("a", "messages"), &set("b", "messages")]);
        assert_eq!(taken, 0, "a view two statements read is copied");
        assert_eq!(
            attributes.iter().filter(|kv| kv.key == "a" || kv.key == "b").count(),
            2,
            "both readers found it"
        );
    }

    fn convert(text: &str, role: Option<&str>) -> Option<serde_json::Value> {
        let args = [
            Value::string(text.to_owned()),
            Value::str("gemini"),
            role.map_or(Value::Nil, Value::str),
            Value::Nil,
        ];
        match genai_messages_from_json(&args).unwrap() {
            Value::Str(s) => Some(serde_json::from_str(&s).unwrap()),
            Value::Nil => None,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gemini_contents_become_convention_messages() {
        let out = convert(
            r#"[{"role":"user","parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"AAA="}}]},
                {"role":"model","parts":[{"text":"thinking","thought":true},{"functionCall":{"id":"c1","name":"read_file","args":{"path":"a"}}}]},
                {"role":"user","parts":[{"functionResponse":{"id":"c1","name":"read_file","response":{"output":"x"}}}]},
                {"role":"user","parts":[{"fileData":{"mimeType":"application/pdf","fileUri":"gs://b/f"}},{"executableCode":{"code":"1"}}]}]"#,
            None,
        )
        .unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"[{"role":"user","parts":[{"type":"text","content":"hi"},{"type":"blob","modality":"image","mime_type":"image/png","content":"AAA="}]},
                {"role":"assistant","parts":[{"type":"reasoning","content":"thinking"},{"type":"tool_call","id":"c1","name":"read_file","arguments":{"path":"a"}}]},
                {"role":"tool","parts":[{"type":"tool_call_response","id":"c1","name":"read_file","response":{"output":"x"}}]},
                {"role":"user","parts":[{"type":"uri","mime_type":"application/pdf","uri":"gs://b/f"},{"executableCode":{"code":"1"}}]}]"#,
        )
        .unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn one_object_without_a_role_takes_the_default_and_keeps_its_finish_reason() {
        let out = convert(
            r#"{"parts":[{"text":"PONG"}],"finishReason":"STOP"}"#,
            Some("assistant"),
        )
        .unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            r#"[{"role":"assistant","parts":[{"type":"text","content":"PONG"}],"finish_reason":"stop"}]"#,
        )
        .unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn anything_but_a_json_message_string_is_nil() {
        assert_eq!(convert("not json", None), None);
        assert_eq!(convert("42", None), None);
        assert_eq!(convert("[]", None), None);
        let args = [Value::Int(1), Value::str("gemini"), Value::Nil, Value::Nil];
        assert_eq!(genai_messages_from_json(&args).unwrap(), Value::Nil);
        let args = [Value::str("[]"), Value::str("claude"), Value::Nil, Value::Nil];
        assert!(genai_messages_from_json(&args).is_err());
    }

    fn langchain(text: &str, select: &str) -> Option<serde_json::Value> {
        let args = [
            Value::string(text.to_owned()),
            Value::str("langchain"),
            Value::Nil,
            Value::str(select),
        ];
        match genai_messages_from_json(&args).unwrap() {
            Value::Str(s) => Some(serde_json::from_str(&s).unwrap()),
            Value::List(l) => Some(serde_json::Value::Array(
                l.iter()
                    .map(|v| serde_json::Value::String(Value::from_any(v).as_string_like().unwrap().into_owned()))
                    .collect(),
            )),
            Value::Nil => None,
            other => panic!("{other:?}"),
        }
    }

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn langchain_inputs_plain_and_serialised_become_convention_messages() {
        let prompt = r#"{"messages":[[
            {"lc":1,"type":"constructor","id":["langchain","schema","messages","SystemMessage"],"kwargs":{"content":"Be brief.","type":"system"}},
            {"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}},
            {"type":"ai","content":"","tool_calls":[{"id":"call_1","name":"search","args":{"q":"cat"}}]},
            {"type":"tool","content":"a cat","tool_call_id":"call_1"}
        ]]}"#;
        assert_eq!(
            langchain(prompt, "messages"),
            Some(json(
                r#"[{"role":"user","parts":[{"type":"text","content":"What is this?"},{"type":"uri","modality":"image","uri":"https://x/cat.png"}]},
                    {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"search","arguments":{"q":"cat"}}]},
                    {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"a cat"}]}]"#
            ))
        );
        assert_eq!(
            langchain(prompt, "system"),
            Some(json(r#"[{"type":"text","content":"Be brief."}]"#))
        );
    }

    #[test]
    fn langchain_generations_become_output_messages_with_finish_reasons() {
        let completion = r#"{"generations":[[{"text":"hello","generation_info":{"finish_reason":"stop"},
            "message":{"lc":1,"type":"constructor","id":["langchain","schema","messages","AIMessage"],
              "kwargs":{"content":"hello","additional_kwargs":{"tool_calls":[{"id":"c2","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}}}}]]}"#;
        assert_eq!(
            langchain(completion, "messages"),
            Some(json(
                r#"[{"role":"assistant","parts":[{"type":"text","content":"hello"},{"type":"tool_call","id":"c2","name":"f","arguments":{"a":1}}],"finish_reason":"stop"}]"#
            ))
        );
        assert_eq!(langchain(completion, "finish_reasons"), Some(json(r#"["stop"]"#)));
        assert_eq!(
            langchain(r#"{"generations":[[{"text":"hi"}]]}"#, "messages"),
            Some(json(
                r#"[{"role":"assistant","parts":[{"type":"text","content":"hi"}]}]"#
            ))
        );
        assert_eq!(langchain(r#"{"generations":[]}"#, "messages"), None);
        assert_eq!(
            langchain(r#"{"question":"why?"}"#, "messages"),
            None,
            "a chain's inputs"
        );
    }
}
