//! A JSON document that borrows its strings from the request body. `serde_json::Value`
//! allocates every key and string and builds a map per object; OTLP/JSON objects are small,
//! so a vector of borrowed entries is both lighter and faster to search.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// Entries in document order. A repeated key resolves to its last occurrence, as it would
/// in a map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Object<'a> {
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Json<'a> {
    pub fn parse(body: &'a [u8]) -> Result<Json<'a>, sonic_rs::Error> {
        sonic_rs::from_slice(body)
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

/// JSON nesting the decoders follow, as serde_json's 128 levels: sonic-rs allows 255, and a
/// debug build's frames for that many levels overflow a 2 MiB thread stack.
const MAX_NESTING: u32 = 128;

thread_local! {
    static NESTING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Levels of nesting entered; leaving them (drop) steps back out.
pub(super) struct Nesting(u32);

impl Nesting {
    pub(super) fn enter<E: serde::de::Error>(levels: u32) -> Result<Nesting, E> {
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

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
        // JSON text cannot spell NaN or infinity, so this never falls back.
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let _nesting = Nesting::enter::<A::Error>(1)?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let _nesting = Nesting::enter::<A::Error>(1)?;
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
        while let Some((Key(key), value)) = map.next_entry()? {
            entries.push((key, value));
        }
        Ok(Json::Object(Object(entries)))
    }
}

/// serde's own `Cow<str>` always copies; this borrows whenever the key has no escapes.
pub(super) struct Key<'a>(pub(super) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn agrees_with_serde_json_and_borrows_plain_strings() {
        let text = br#"{"a":[1,-2,3.5,"x\"y",true,null,{}],"b":{"c":"d"},"e":18446744073709551615,"f":1e400}"#;
        let ours = Json::parse(text);
        let theirs = serde_json::from_slice::<serde_json::Value>(text);
        // 1e400 is out of range for both.
        assert!(ours.is_err() && theirs.is_err());
        let text = br#"{"a":[1,-2,3.5,"x\"y",true,null,{}],"b":{"c":"d"},"e":18446744073709551615,"b":{"c":"last"}}"#;
        let json = Json::parse(text).unwrap();
        let object = json.as_object().unwrap();
        let a = object.get("a").unwrap().as_array().unwrap();
        assert_eq!(a[0], Json::Number(1u64.into()));
        assert_eq!(a[1], Json::Number((-2i64).into()));
        assert_eq!(a[2], Json::Number(Number::from_f64(3.5).unwrap()));
        assert_eq!(a[3].as_str(), Some("x\"y"));
        assert!(matches!(&a[3], Json::String(Cow::Owned(_))), "escaped: copied");
        assert!(a[5].is_null());
        assert_eq!(
            object.get("b").unwrap().as_object().unwrap().get("c").unwrap().as_str(),
            Some("last")
        );
        assert!(matches!(object.get("b"), Some(Json::Object(o)) if matches!(o.0[0].1, Json::String(Cow::Borrowed(_)))));
        assert_eq!(object.get("e"), Some(&Json::Number(u64::MAX.into())));
    }

    /// Runs `f` on a thread with the stack intake's runtime gives its workers: an
    /// unoptimised build's frames are several times a release build's.
    pub(crate) fn on_server_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(crate::app::WORKER_STACK_BYTES)
            .spawn(f)
            .and_then(|t| t.join().map_err(|_| std::io::Error::other("panicked")))
            .unwrap();
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        on_server_stack(|| {
            let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
            assert!(Json::parse(deep.as_bytes()).is_err());
            let limit = format!("{}{}", "[".repeat(128), "]".repeat(128));
            assert!(Json::parse(limit.as_bytes()).is_ok());
            let over = format!("{}{}", "[".repeat(129), "]".repeat(129));
            assert!(Json::parse(over.as_bytes()).is_err());
        });
    }
}
