//! `UserAgent(value)`: a user-agent string parsed with the uap-core rules (ua-parser's
//! `regexes.yaml`, vendored beside this file with its licence, version in `uap-core/`)
//! into `{user_agent.original, user_agent.name, user_agent.version, os.name, os.version}`,
//! as upstream's uap-go based function returns it. The rules compile once, the first time a
//! template uses the function (at template load, not on a request).

use std::borrow::Cow;
use std::sync::OnceLock;

use ua_parser::{os, user_agent, Regexes};

use super::super::context::Target;
use super::super::error::ParseError;
use super::super::eval::{Converter, EvalError, EvalResult, Expr};
use super::super::signature::{converter as boxed, req, Args};
use super::super::value::Value;
use super::strings::expect_str;
use super::{converter, param, FunctionSpec};
use crate::otlp::string_kv;

pub const SPECS: &[FunctionSpec] = &[converter("UserAgent", &[req(param::VALUE)], build)];

const RULES: &str = include_str!("uap-core/regexes.yaml");

struct Rules {
    agents: user_agent::Extractor<'static>,
    systems: os::Extractor<'static>,
}

fn rules() -> Result<&'static Rules, String> {
    static RULES_ONCE: OnceLock<Result<Rules, String>> = OnceLock::new();
    RULES_ONCE
        .get_or_init(|| {
            let regexes: Regexes<'static> =
                serde_yaml_ng::from_str(RULES).map_err(|e| format!("uap-core rules: {e}"))?;
            let agents = regexes
                .user_agent_parsers
                .into_iter()
                .try_fold(user_agent::Builder::new(), |b, p| b.push(p))
                .map_err(|e| format!("uap-core user agent rules: {e}"))?
                .build()
                .map_err(|e| format!("uap-core user agent rules: {e}"))?;
            let systems = regexes
                .os_parsers
                .into_iter()
                .try_fold(os::Builder::new(), |b, p| b.push(p))
                .map_err(|e| format!("uap-core os rules: {e}"))?
                .build()
                .map_err(|e| format!("uap-core os rules: {e}"))?;
            Ok(Rules { agents, systems })
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[derive(Debug)]
struct UserAgent {
    value: Expr,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("uap-core rules")
    }
}

fn build(args: &mut Args<'_>) -> Result<Box<dyn Converter>, ParseError> {
    rules().map_err(|e| args.error(e))?;
    boxed(UserAgent {
        value: args.expr(param::VALUE)?,
    })
}

/// The parts that are there, joined with dots (`7.81.0`).
fn version<'v>(parts: impl IntoIterator<Item = Option<&'v str>>) -> String {
    parts
        .into_iter()
        .map_while(|p| p.filter(|p| !p.is_empty()))
        .collect::<Vec<_>>()
        .join(".")
}

impl Converter for UserAgent {
    fn call<'a>(&'a self, target: &'a Target<'_>) -> EvalResult<Value<'a>> {
        let value = self.value.eval(target)?;
        let original = expect_str(&value, "UserAgent")?;
        let rules = rules().map_err(EvalError::new)?;
        let mut out = vec![string_kv("user_agent.original", original)];
        let agent = rules.agents.extract(original);
        let name = agent.as_ref().map_or(Cow::Borrowed("Other"), |a| a.family.clone());
        out.push(string_kv("user_agent.name", &name));
        if let Some(a) = &agent {
            let v = version([a.major, a.minor, a.patch]);
            if !v.is_empty() {
                out.push(string_kv("user_agent.version", &v));
            }
        }
        let system = rules.systems.extract(original);
        let os_name = system.as_ref().map_or(Cow::Borrowed("Other"), |s| s.os.clone());
        out.push(string_kv("os.name", &os_name));
        if let Some(s) = &system {
            let v = version([
                s.major.as_deref(),
                s.minor.as_deref(),
                s.patch.as_deref(),
                s.patch_minor.as_deref(),
            ]);
            if !v.is_empty() {
                out.push(string_kv("os.version", &v));
            }
        }
        Ok(Value::Map(Cow::Owned(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ua: &str) -> Vec<(String, String)> {
        let mut resource = crate::otlp::Resource::default();
        let mut schema = String::new();
        let target = Target::new(&mut resource, &mut schema);
        let converter = UserAgent {
            value: Expr::Literal(Value::string(ua.to_owned())),
        };
        let Value::Map(map) = converter.call(&target).unwrap() else {
            panic!("not a map")
        };
        map.iter()
            .map(|kv| {
                let v = Value::from_optional_any(kv.value.as_ref())
                    .as_string_like()
                    .unwrap()
                    .into_owned();
                (kv.key.clone(), v)
            })
            .collect()
    }

    #[test]
    fn browsers_and_tools_are_named_with_their_versions() {
        let curl = parse("curl/7.81.0");
        assert!(curl.contains(&("user_agent.name".into(), "curl".into())), "{curl:?}");
        assert!(
            curl.contains(&("user_agent.version".into(), "7.81.0".into())),
            "{curl:?}"
        );
        assert!(curl.contains(&("os.name".into(), "Other".into())), "{curl:?}");
        let chrome = parse(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
        );
        assert!(
            chrome.contains(&("user_agent.name".into(), "Chrome".into())),
            "{chrome:?}"
        );
        assert!(
            chrome.contains(&("user_agent.version".into(), "120.0.6099".into())),
            "{chrome:?}"
        );
        assert!(chrome.contains(&("os.name".into(), "Windows".into())), "{chrome:?}");
        let unknown = parse("definitely not a browser");
        assert!(
            unknown.contains(&("user_agent.name".into(), "Other".into())),
            "{unknown:?}"
        );
    }
}
