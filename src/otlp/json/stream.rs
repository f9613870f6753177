//! OTLP/JSON decoded straight into the prost types as the parser reads it: no document tree
//! is built and dropped, strings are copied once, from the body into the message. The rules:
//! a field may be spelled lowerCamelCase or as its proto name, the lowerCamelCase one wins
//! when both are present, the last occurrence of a spelling wins, `null` is absent, unknown
//! fields are skipped. Errors name the path of the field that failed. This file holds the
//! machinery and the messages every signal shares; `decode.rs` (traces), `logs.rs` and
//! `metrics.rs` add theirs.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::reader::Reader;
use crate::otlp::{
    any_value, AnyValue, ArrayValue, DecodeError, EntityRef, InstrumentationScope, KeyValue, KeyValueList, Resource,
};

/// Decodes a whole request (`M` is its top-level message).
pub(super) fn decode_root<M: Message>(body: &[u8]) -> Result<M, DecodeError> {
    if is_blank(body) {
        return Ok(M::default());
    }
    // The reader stops at 255 levels and AnyValues at 128 (`Nesting`), so deep input
    // cannot overflow the stack.
    let read = || {
        let mut reader = Reader::new(body);
        let message = MessageSeed::<M>::new(Path::Root).deserialize(&mut reader)?;
        reader.end().map(|()| message)
    };
    read().map_err(|e| DecodeError::Json(e.to_string()))
}

/// An empty body is an empty request, as it is in protobuf.
fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Decodes a whole request with serde_json instead of the reader: the reference the
/// reader is checked against (tests and the `otlp_json` fuzz target).
pub(super) fn decode_root_with_serde_json<M: Message>(body: &[u8]) -> Result<M, DecodeError> {
    if is_blank(body) {
        return Ok(M::default());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let message = MessageSeed::<M>::new(Path::Root)
        .deserialize(&mut deserializer)
        .and_then(|m| deserializer.end().map(|()| m))
        .map_err(|e| DecodeError::Json(e.to_string()))?;
    Ok(message)
}

// ---------------------------------------------------------------- ids and keys

/// An id that is neither hex nor base64 decodes to this length-1 value, which no id field
/// accepts, so the item is dropped by validation rather than failing the whole request.
const UNDECODABLE_ID: [u8; 1] = [0xff];

/// Hex first (the OTLP/JSON form); base64 for producers that used the proto3 default.
fn id_text_bytes(text: &str) -> Vec<u8> {
    if text.is_empty() {
        return Vec::new();
    }
    if let Some(bytes) = hex_bytes(text.as_bytes()) {
        return bytes;
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ];
    for engine in engines {
        if let Ok(bytes) = engine.decode(text) {
            return bytes;
        }
    }
    UNDECODABLE_ID.to_vec()
}

/// Hex digits (either case) as bytes; None unless all of `text` is pairs of them. Every id
/// of every item goes through here.
fn hex_bytes(text: &[u8]) -> Option<Vec<u8>> {
    fn nibble(d: u8) -> Option<u8> {
        match d {
            b'0'..=b'9' => Some(d - b'0'),
            b'a'..=b'f' => Some(d - b'a' + 10),
            b'A'..=b'F' => Some(d - b'A' + 10),
            _ => None,
        }
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// An object key read as the field it names in `fields`: the field's index and whether it
/// was spelled lowerCamelCase, packed in one word (`UNKNOWN_FIELD` for a key that names
/// none), so that the key never becomes a string of its own.
struct FieldSeed(&'static [(&'static str, &'static str)]);

const UNKNOWN_FIELD: u32 = u32::MAX;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, key: &str) -> Result<u32, E> {
        for (id, (camel, snake)) in self.0.iter().enumerate() {
            if *camel == key {
                return Ok((id as u32) << 1 | 1);
            }
            if *snake == key {
                return Ok((id as u32) << 1);
            }
        }
        Ok(UNKNOWN_FIELD)
    }
}

/// JSON levels of nested AnyValues (three per value: `{"arrayValue": {"values": [ … ]}}`)
/// the decoders follow; past them the request is refused. The reader itself stops at 255
/// levels of anything (`IgnoredAny` included), which a debug build's frames for AnyValues
/// could not hold in its 8 MiB worker stack.
const MAX_NESTING: u32 = 128;

thread_local! {
    static NESTING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Levels of nesting entered; leaving them (drop) steps back out.
struct Nesting(u32);

impl Nesting {
    fn enter<E: serde::de::Error>(levels: u32) -> Result<Nesting, E> {
        let depth = NESTING.with(|n| {
            let depth = n.get() + levels;
            n.set(depth);
            depth
        });
        let guard = Nesting(levels);
        if depth > MAX_NESTING {
            // The guard steps back out as the error unwinds.
            drop(guard);
            return Err(E::custom("JSON nested too deeply"));
        }
        Ok(guard)
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(self.0)));
    }
}

// ---------------------------------------------------------------- paths

/// Where in the document a value sits, formatted only when an error needs it.
#[derive(Clone, Copy)]
pub(super) enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'static str),
    Index(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

pub(super) fn fail<E: serde::de::Error>(path: &Path<'_>, message: impl fmt::Display) -> E {
    E::custom(format_args!("{path}: {message}"))
}

// ---------------------------------------------------------------- scalars

/// A JSON scalar, read with whatever type the document gives; the field decides what it
/// accepts. Objects and arrays where a scalar belongs are refused by `ScalarSeed`.
pub(super) enum Scalar<'de> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'de, str>),
}

impl Scalar<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::U64(_) | Scalar::I64(_) | Scalar::F64(_) => "a number",
            Scalar::Str(_) => "a string",
        }
    }

    fn number_text(&self) -> String {
        match self {
            Scalar::U64(v) => v.to_string(),
            Scalar::I64(v) => v.to_string(),
            Scalar::F64(v) => serde_json::Number::from_f64(*v).map_or_else(|| v.to_string(), |n| n.to_string()),
            _ => String::new(),
        }
    }
}

pub(super) struct ScalarSeed<'p>(pub(super) &'p Path<'p>);

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON scalar")
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(if v >= 0 { Scalar::U64(v as u64) } else { Scalar::I64(v) })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar<'de>, A::Error> {
        Err(fail(self.0, "expected a scalar, found an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Scalar<'de>, A::Error> {
        Err(fail(self.0, "expected a scalar, found an object"))
    }
}

pub(super) fn scalar<'de, A: MapAccess<'de>>(map: &mut A, path: &Path<'_>) -> Result<Scalar<'de>, A::Error> {
    map.next_value_seed(ScalarSeed(path))
}

pub(super) fn to_string<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<String, E> {
    match value {
        Scalar::Str(s) => Ok(s.into_owned()),
        other => Err(fail(path, format_args!("expected a string, found {}", other.kind()))),
    }
}

pub(super) fn to_u64<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<u64, E> {
    match value {
        Scalar::U64(v) => Ok(v),
        Scalar::F64(f) if f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f) => Ok(f as u64),
        Scalar::Str(s) => s
            .parse::<u64>()
            .map_err(|_| fail(path, format_args!("`{s}` is not an unsigned 64-bit integer"))),
        n @ (Scalar::I64(_) | Scalar::F64(_)) => Err(fail(
            path,
            format_args!("{} is not an unsigned 64-bit integer", n.number_text()),
        )),
        other => Err(fail(path, format_args!("expected an integer, found {}", other.kind()))),
    }
}

pub(super) fn to_i64<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<i64, E> {
    match value {
        Scalar::I64(v) => Ok(v),
        Scalar::U64(v) => i64::try_from(v).map_err(|_| fail(path, format_args!("{v} is not a 64-bit integer"))),
        Scalar::F64(f) if f.fract() == 0.0 && f.abs() < 9.223372036854776e18 => Ok(f as i64),
        Scalar::F64(_) => Err(fail(
            path,
            format_args!("{} is not a 64-bit integer", value.number_text()),
        )),
        Scalar::Str(s) => s
            .parse::<i64>()
            .map_err(|_| fail(path, format_args!("`{s}` is not a 64-bit integer"))),
        other => Err(fail(path, format_args!("expected an integer, found {}", other.kind()))),
    }
}

pub(super) fn to_u32<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<u32, E> {
    let v = to_u64(value, path)?;
    u32::try_from(v).map_err(|_| fail(path, format_args!("{v} does not fit in 32 bits")))
}

pub(super) fn to_f64<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<f64, E> {
    match value {
        Scalar::U64(v) => Ok(v as f64),
        Scalar::I64(v) => Ok(v as f64),
        Scalar::F64(v) => Ok(v),
        Scalar::Str(s) => match s.as_ref() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => other
                .parse::<f64>()
                .map_err(|_| fail(path, format_args!("`{other}` is not a number"))),
        },
        other => Err(fail(path, format_args!("expected a number, found {}", other.kind()))),
    }
}

/// Integer enums per OTLP/JSON; the proto enum names are accepted too.
pub(super) fn to_enum<E: serde::de::Error>(value: Scalar<'_>, names: &[&str], path: &Path<'_>) -> Result<i32, E> {
    match value {
        Scalar::Str(s) => match names.iter().position(|n| *n == s.as_ref()) {
            Some(i) => Ok(i as i32),
            None => s
                .parse::<i32>()
                .map_err(|_| fail(path, format_args!("unknown enum value `{s}`"))),
        },
        other => {
            let v = to_i64(other, path)?;
            i32::try_from(v).map_err(|_| fail(path, format_args!("{v} is not a valid enum value")))
        }
    }
}

pub(super) fn to_id<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<Vec<u8>, E> {
    match value {
        Scalar::Str(s) => Ok(id_text_bytes(&s)),
        other => Err(fail(
            path,
            format_args!("expected an id string, found {}", other.kind()),
        )),
    }
}

pub(super) fn to_bool<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<bool, E> {
    match value {
        Scalar::Bool(b) => Ok(b),
        other => Err(fail(path, format_args!("expected a boolean, found {}", other.kind()))),
    }
}

// ---------------------------------------------------------------- messages and lists

/// A protobuf message read from a JSON object: its fields' two spellings, and how the
/// value of field `id` is read into it. A `null` value leaves the field at its default.
pub(super) trait Message: Default {
    /// (lowerCamelCase, proto name) per field; `id` is the index.
    const FIELDS: &'static [(&'static str, &'static str)];

    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error>;
}

/// Which fields were given in lowerCamelCase, so their proto-name spelling is ignored.
struct Spelled(u64);

impl Spelled {
    fn accepts(&mut self, id: usize, camel: bool) -> bool {
        let bit = 1u64 << id;
        if camel {
            self.0 |= bit;
            true
        } else {
            self.0 & bit == 0
        }
    }
}

pub(super) struct MessageSeed<'p, M> {
    path: Path<'p>,
    message: PhantomData<M>,
}

impl<'p, M> MessageSeed<'p, M> {
    pub(super) fn new(path: Path<'p>) -> Self {
        MessageSeed {
            path,
            message: PhantomData,
        }
    }
}

impl<'de, M: Message> DeserializeSeed<'de> for MessageSeed<'_, M> {
    type Value = M;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<M, D::Error> {
        d.deserialize_any(self)
    }
}

fn found<E: serde::de::Error>(path: &Path<'_>, expected: &str, kind: &str) -> E {
    if matches!(path, Path::Root) {
        E::custom(format_args!(": expected {expected}, found {kind}"))
    } else {
        fail(path, format_args!("expected {expected}, found {kind}"))
    }
}

/// Refuses every JSON kind but the one a visitor reads, naming the path.
macro_rules! refuse_other_kinds {
    ($expected:literal) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(found(&self.path, $expected, "a boolean"))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(found(&self.path, $expected, "a number"))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(found(&self.path, $expected, "a number"))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(found(&self.path, $expected, "a number"))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(found(&self.path, $expected, "a string"))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Err(found(&self.path, $expected, "null"))
        }
    };
}

impl<'de, M: Message> Visitor<'de> for MessageSeed<'_, M> {
    type Value = M;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    refuse_other_kinds!("an object");
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<M, A::Error> {
        Err(found(&self.path, "an object", "an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<M, A::Error> {
        let mut message = M::default();
        let mut spelled = Spelled(0);
        while let Some(field) = map.next_key_seed(FieldSeed(M::FIELDS))? {
            let id = (field >> 1) as usize;
            if field != UNKNOWN_FIELD && spelled.accepts(id, field & 1 == 1) {
                message.read(id, &mut map, &Path::Field(&self.path, M::FIELDS[id].0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(message)
    }
}

/// A field that holds a message: `null` is no message.
pub(super) fn message<'de, M: Message, A: MapAccess<'de>>(map: &mut A, path: &Path<'_>) -> Result<Option<M>, A::Error> {
    map.next_value_seed(Nullable(MessageSeed::<M>::new(*path)))
}

/// A repeated field: `null` is an empty list.
pub(super) fn list<'de, S: ItemSeed, A: MapAccess<'de>>(
    map: &mut A,
    path: &Path<'_>,
) -> Result<Vec<S::Item>, A::Error> {
    Ok(map
        .next_value_seed(Nullable(ListSeed::<S> {
            path: *path,
            item: PhantomData,
        }))?
        .unwrap_or_default())
}

/// How one element of a list is read, at its index's path.
pub(super) trait ItemSeed {
    type Item;
    fn read<'de, A: SeqAccess<'de>>(seq: &mut A, path: &Path<'_>) -> Result<Option<Self::Item>, A::Error>;
}

impl<M: Message> ItemSeed for MessageSeed<'_, M> {
    type Item = M;
    fn read<'de, A: SeqAccess<'de>>(seq: &mut A, path: &Path<'_>) -> Result<Option<M>, A::Error> {
        seq.next_element_seed(MessageSeed::<M>::new(*path))
    }
}

pub(super) struct AnyValueItem;

impl ItemSeed for AnyValueItem {
    type Item = AnyValue;
    fn read<'de, A: SeqAccess<'de>>(seq: &mut A, path: &Path<'_>) -> Result<Option<AnyValue>, A::Error> {
        seq.next_element_seed(AnyValueSeed(*path))
    }
}

/// Elements that are scalars, read with one of the `to_*` conversions.
macro_rules! scalar_item {
    ($name:ident, $item:ty, $convert:ident) => {
        pub(super) struct $name;

        impl ItemSeed for $name {
            type Item = $item;
            fn read<'de, A: SeqAccess<'de>>(seq: &mut A, path: &Path<'_>) -> Result<Option<$item>, A::Error> {
                seq.next_element_seed(ScalarSeed(path))?
                    .map(|s| $convert(s, path))
                    .transpose()
            }
        }
    };
}

scalar_item!(StringItem, String, to_string);
scalar_item!(U64Item, u64, to_u64);
scalar_item!(F64Item, f64, to_f64);

/// Elements read as message `M` and then made into what the list holds (for messages whose
/// JSON needs more state than their prost type has, e.g. a oneof decided at the end).
pub(super) struct Built<M, T>(PhantomData<(M, T)>);

impl<M: Message + Into<T>, T> ItemSeed for Built<M, T> {
    type Item = T;
    fn read<'de, A: SeqAccess<'de>>(seq: &mut A, path: &Path<'_>) -> Result<Option<T>, A::Error> {
        Ok(seq.next_element_seed(MessageSeed::<M>::new(*path))?.map(Into::into))
    }
}

/// A boolean read leniently: anything but `true`/`false` (a number, a string, an object)
/// reads as absent instead of failing the request.
pub(super) struct LenientBool;

impl<'de> DeserializeSeed<'de> for LenientBool {
    type Value = Option<bool>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<bool>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LenientBool {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Option<bool>, E> {
        Ok(Some(v))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<bool>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<bool>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

struct ListSeed<'p, S> {
    path: Path<'p>,
    item: PhantomData<S>,
}

impl<'de, S: ItemSeed> DeserializeSeed<'de> for ListSeed<'_, S> {
    type Value = Vec<S::Item>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<S::Item>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: ItemSeed> Visitor<'de> for ListSeed<'_, S> {
    type Value = Vec<S::Item>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    refuse_other_kinds!("an array");
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(found(&self.path, "an array", "an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        loop {
            let path = Path::Index(&self.path, items.len());
            match S::read(&mut seq, &path)? {
                Some(item) => items.push(item),
                None => return Ok(items),
            }
        }
    }
}

/// `null` where a message or list belongs reads as absent.
pub(super) struct Nullable<S>(pub(super) S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

// ---------------------------------------------------------------- AnyValue

/// AnyValue's oneof, either spelling of each counting (the last non-null one wins); the
/// index is the case `AnyValueVisitor` reads.
const ANY_VALUE_FIELDS: &[(&str, &str)] = &[
    ("stringValue", "string_value"),
    ("boolValue", "bool_value"),
    ("intValue", "int_value"),
    ("doubleValue", "double_value"),
    ("arrayValue", "array_value"),
    ("kvlistValue", "kvlist_value"),
    ("bytesValue", "bytes_value"),
];

/// `{"stringValue": …}` and its siblings: the last recognised, non-null entry wins.
pub(super) struct AnyValueSeed<'p>(pub(super) Path<'p>);

impl<'de> DeserializeSeed<'de> for AnyValueSeed<'_> {
    type Value = AnyValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AnyValue, D::Error> {
        d.deserialize_any(AnyValueVisitor { path: self.0 })
    }
}

struct AnyValueVisitor<'p> {
    path: Path<'p>,
}

impl<'de> Visitor<'de> for AnyValueVisitor<'_> {
    type Value = AnyValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AnyValue object")
    }
    refuse_other_kinds!("an object");
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<AnyValue, A::Error> {
        Err(found(&self.path, "an object", "an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
        // A nested value is three JSON levels: `{"arrayValue": {"values": [ … ]}}`.
        let _nesting = Nesting::enter::<A::Error>(3)?;
        let mut kind = None;
        while let Some(field) = map.next_key_seed(FieldSeed(ANY_VALUE_FIELDS))? {
            if field == UNKNOWN_FIELD {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let id = (field >> 1) as usize;
            let path = Path::Field(&self.path, ANY_VALUE_FIELDS[id].0);
            let decoded = match id {
                4 => message::<ArrayValue, A>(&mut map, &path)?.map(any_value::Value::ArrayValue),
                5 => message::<KeyValueList, A>(&mut map, &path)?.map(any_value::Value::KvlistValue),
                _ => match scalar(&mut map, &path)? {
                    Scalar::Null => None,
                    value => Some(match id {
                        0 => any_value::Value::StringValue(to_string::<A::Error>(value, &path)?),
                        1 => any_value::Value::BoolValue(to_bool::<A::Error>(value, &path)?),
                        2 => any_value::Value::IntValue(to_i64::<A::Error>(value, &path)?),
                        3 => any_value::Value::DoubleValue(to_f64::<A::Error>(value, &path)?),
                        _ => any_value::Value::BytesValue(bytes::<A::Error>(value, &path)?),
                    }),
                },
            };
            if decoded.is_some() {
                kind = decoded;
            }
        }
        Ok(AnyValue { value: kind })
    }
}

fn bytes<E: serde::de::Error>(value: Scalar<'_>, path: &Path<'_>) -> Result<Vec<u8>, E> {
    let text = to_string::<E>(value, path)?;
    base64::engine::general_purpose::STANDARD
        .decode(&text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&text))
        .map_err(|_| fail(path, "not base64"))
}

// ---------------------------------------------------------------- the messages

/// Reads the value of one field into `slot`: `null` resets it to its default.
macro_rules! read_scalar {
    ($map:expr, $path:expr, $slot:expr, $convert:expr) => {{
        let value = $crate::otlp::json::stream::scalar($map, $path)?;
        $slot = match value {
            $crate::otlp::json::stream::Scalar::Null => Default::default(),
            value => {
                let converted: Result<_, A::Error> = $convert(value, $path);
                converted?
            }
        };
    }};
}
pub(super) use read_scalar;

impl Message for Resource {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("attributes", "attributes"),
        ("droppedAttributesCount", "dropped_attributes_count"),
        ("entityRefs", "entity_refs"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            1 => read_scalar!(map, path, self.dropped_attributes_count, to_u32),
            _ => self.entity_refs = list::<MessageSeed<EntityRef>, A>(map, path)?,
        }
        Ok(())
    }
}

impl Message for EntityRef {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("schemaUrl", "schema_url"),
        ("type", "type"),
        ("idKeys", "id_keys"),
        ("descriptionKeys", "description_keys"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.schema_url, to_string),
            1 => read_scalar!(map, path, self.r#type, to_string),
            2 => self.id_keys = list::<StringItem, A>(map, path)?,
            _ => self.description_keys = list::<StringItem, A>(map, path)?,
        }
        Ok(())
    }
}

impl Message for InstrumentationScope {
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("name", "name"),
        ("version", "version"),
        ("attributes", "attributes"),
        ("droppedAttributesCount", "dropped_attributes_count"),
    ];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.name, to_string),
            1 => read_scalar!(map, path, self.version, to_string),
            2 => self.attributes = list::<MessageSeed<KeyValue>, A>(map, path)?,
            _ => read_scalar!(map, path, self.dropped_attributes_count, to_u32),
        }
        Ok(())
    }
}

impl Message for KeyValue {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("key", "key"), ("value", "value")];
    fn read<'de, A: MapAccess<'de>>(&mut self, id: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        match id {
            0 => read_scalar!(map, path, self.key, to_string),
            _ => self.value = map.next_value_seed(Nullable(AnyValueSeed(*path)))?,
        }
        Ok(())
    }
}

impl Message for ArrayValue {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("values", "values")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.values = list::<AnyValueItem, A>(map, path)?;
        Ok(())
    }
}

impl Message for KeyValueList {
    const FIELDS: &'static [(&'static str, &'static str)] = &[("values", "values")];
    fn read<'de, A: MapAccess<'de>>(&mut self, _: usize, map: &mut A, path: &Path<'_>) -> Result<(), A::Error> {
        self.values = list::<MessageSeed<KeyValue>, A>(map, path)?;
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::otlp::Span;

    /// Runs `f` on a thread with the stack intake's runtime gives its workers: an
    /// unoptimised build's frames are several times a release build's.
    pub(crate) fn on_server_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(crate::app::WORKER_STACK_BYTES)
            .spawn(f)
            .and_then(|t| t.join().map_err(|_| std::io::Error::other("panicked")))
            .unwrap();
    }

    fn span_of(body: &str) -> Span {
        super::super::decode_request(body.as_bytes()).unwrap().resource_spans[0].scope_spans[0].spans[0].clone()
    }

    #[test]
    fn ids_are_hex_of_either_case_else_base64_else_undecodable() {
        assert_eq!(id_text_bytes("0aFf"), vec![0x0a, 0xff]);
        assert_eq!(id_text_bytes(""), Vec::<u8>::new());
        for id in ["5b8efff798038103d269b633813fc60c", "EEE19B7EC3C1B174"] {
            assert_eq!(id_text_bytes(id), hex::decode(id).unwrap(), "{id}");
        }
        // Not hex (odd length, or a non-hex digit): base64 when it is that.
        assert_eq!(id_text_bytes("AQI="), vec![1, 2]);
        assert_eq!(id_text_bytes("0aF"), UNDECODABLE_ID.to_vec());
        assert_eq!(id_text_bytes("0g"), UNDECODABLE_ID.to_vec());
    }

    #[test]
    fn camel_case_wins_over_the_proto_name_in_either_order_and_null_is_absent() {
        let s = span_of(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"camel","name":"last","trace_state":"snake","traceState":"camel","span_id":"0102030405060708","spanId":null}]}]}]}"#,
        );
        assert_eq!(s.name, "last");
        assert_eq!(s.trace_state, "camel");
        // A camelCase null shadows the proto-name spelling: the field is absent.
        assert!(s.span_id.is_empty());
        let s = span_of(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceState":"camel","trace_state":"snake","kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR"},"dropped_attributes_count":"7"}]}]}]}"#,
        );
        assert_eq!(s.trace_state, "camel");
        assert_eq!(s.kind, 3);
        assert_eq!(s.status.unwrap().code, 2);
        assert_eq!(s.dropped_attributes_count, 7);
    }

    #[test]
    fn unknown_fields_of_any_shape_are_skipped() {
        let s = span_of(
            r#"{"resourceSpans":[{"x":[1,{"y":[]}],"scopeSpans":[{"spans":[{"future":{"a":[{"b":null}]},"name":"n","attributes":[{"key":"k","value":{"newValue":{"q":1},"intValue":"9"}}]}]}]}]}"#,
        );
        assert_eq!(s.name, "n");
        assert_eq!(
            s.attributes[0].value.as_ref().unwrap().value,
            Some(any_value::Value::IntValue(9))
        );
    }

    #[test]
    fn any_values_of_every_kind_and_the_last_non_null_one_wins() {
        let s = span_of(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[
            {"key":"s","value":{"stringValue":"a","string_value":"b"}},
            {"key":"d","value":{"doubleValue":0.014229900000032103}},
            {"key":"i","value":{"intValue":"9007199254740993"}},
            {"key":"b","value":{"bytesValue":"AQI=","boolValue":null}},
            {"key":"l","value":{"arrayValue":{"values":[{"boolValue":true},{"kvlistValue":{"values":[{"key":"x","value":null}]}}]}}},
            {"key":"e","value":{}},
            {"key":"n","value":null}]}]}]}]}"#,
        );
        let v = |i: usize| s.attributes[i].value.clone().and_then(|v| v.value);
        assert_eq!(v(0), Some(any_value::Value::StringValue("b".into())));
        assert_eq!(v(1), Some(any_value::Value::DoubleValue(0.014229900000032103)));
        assert_eq!(v(2), Some(any_value::Value::IntValue(9007199254740993)));
        assert_eq!(v(3), Some(any_value::Value::BytesValue(vec![1, 2])));
        let Some(any_value::Value::ArrayValue(list)) = v(4) else {
            panic!()
        };
        assert_eq!(list.values.len(), 2);
        assert_eq!(v(5), None);
        assert!(s.attributes[6].value.is_none());
    }

    #[test]
    fn wrong_kinds_name_their_path() {
        let cases = [
            (r#"[]"#, ": expected an object, found an array"),
            (
                r#"{"resourceSpans":{}}"#,
                "resourceSpans: expected an array, found an object",
            ),
            (
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":1}]}]}]}"#,
                "resourceSpans[0].scopeSpans[0].spans[0].name: expected a string, found a number",
            ),
            (
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{},{"attributes":[{"key":"k","value":{"intValue":1.5}}]}]}]}]}"#,
                "resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.intValue: 1.5 is not a 64-bit integer",
            ),
            (
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NOPE"}]}]}]}"#,
                "spans[0].kind: unknown enum value `SPAN_KIND_NOPE`",
            ),
            (
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"flags":4294967296}]}]}]}"#,
                "spans[0].flags: 4294967296 does not fit in 32 bits",
            ),
            (r#"{"resourceSpans":[]} x"#, "trailing"),
        ];
        for (body, expected) in cases {
            let err = super::super::decode_request(body.as_bytes()).unwrap_err().to_string();
            assert!(err.to_lowercase().contains(&expected.to_lowercase()), "{body}: {err}");
        }
    }

    #[test]
    fn logs_read_every_field() {
        let body = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},"scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events","version":"2.0"},"logRecords":[{
            "timeUnixNano":"1","observedTimeUnixNano":2,"severityNumber":"SEVERITY_NUMBER_INFO","severityText":"INFO",
            "body":{"stringValue":"claude_code.api_request"},"attributes":[{"key":"cost_usd","value":{"doubleValue":0.0123}}],
            "droppedAttributesCount":3,"flags":1,"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"api_request"}]}]}]}"#;
        let request = super::super::decode_logs_request(body.as_bytes()).unwrap();
        let record = &request.resource_logs[0].scope_logs[0].log_records[0];
        assert_eq!((record.time_unix_nano, record.observed_time_unix_nano), (1, 2));
        assert_eq!(record.severity_number, 9);
        assert_eq!(record.severity_text, "INFO");
        assert_eq!(
            record.body.as_ref().unwrap().value,
            Some(any_value::Value::StringValue("claude_code.api_request".into()))
        );
        assert_eq!((record.dropped_attributes_count, record.flags), (3, 1));
        assert_eq!(hex::encode(&record.trace_id), "5b8efff798038103d269b633813fc60c");
        assert_eq!(record.event_name, "api_request");
        assert_eq!(
            request.resource_logs[0].scope_logs[0].scope.as_ref().unwrap().name,
            "com.anthropic.claude_code.events"
        );
    }
}
