//! The function library: every editor and converter, with its parameters. `Registry`
//! is built once; calls are resolved against it at compile time.

mod converters;
mod csv;
mod digests;
mod editors;
mod genai;
mod grok;
mod json_fast;
mod json_value;
mod lambda;
mod network;
pub mod param;
mod parts;
mod pattern;
mod regex_arg;
mod reset;
mod severity;
mod strings;
mod time;
mod url;
mod user_agent;
mod xml;

pub use editors::{build_guarded_set, DeleteKeys, NilGuard};
pub use json_fast::agrees_with_serde as json_fast_path_agrees_with_serde;
pub use pattern::MatchPattern;

use super::error::ParseError;
use super::eval::{Converter, Editor};
use super::signature::{closest, Args, Param};

pub type EditorBuild = fn(&mut Args<'_>) -> Result<Box<dyn Editor>, ParseError>;
pub type ConverterBuild = fn(&mut Args<'_>) -> Result<Box<dyn Converter>, ParseError>;

#[derive(Clone, Copy)]
pub enum Builder {
    Editor(EditorBuild),
    Converter(ConverterBuild),
}

#[derive(Clone, Copy)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub params: &'static [Param],
    pub builder: Builder,
    /// The feature gate a statement needs to call it (upstream's alpha functions).
    pub gate: Option<&'static str>,
}

/// Upstream's gate for lambda expressions and the functions that take them.
pub const LAMBDA_GATE: &str = "ottl.functions.enableLambda";

/// Every feature gate intake knows.
pub const GATES: &[&str] = &[LAMBDA_GATE];

pub struct Registry {
    specs: Vec<FunctionSpec>,
    gates: Vec<&'static str>,
}

impl Registry {
    /// Every function intake supports, with every feature gate off (upstream's default).
    pub fn standard() -> Registry {
        Registry::build(Vec::new())
    }

    /// The standard functions with the named feature gates on; an unknown gate is an error
    /// (a typo must not silently leave a gate off).
    pub fn with_gates(names: &[String]) -> Result<Registry, String> {
        let gates = names
            .iter()
            .map(|name| {
                GATES
                    .iter()
                    .copied()
                    .find(|g| g == name)
                    .ok_or_else(|| format!("unknown feature gate `{name}` (known: {})", GATES.join(", ")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Registry::build(gates))
    }

    fn build(gates: Vec<&'static str>) -> Registry {
        let mut specs = Vec::new();
        specs.extend_from_slice(editors::SPECS);
        specs.extend_from_slice(converters::SPECS);
        specs.extend_from_slice(strings::SPECS);
        specs.extend_from_slice(time::SPECS);
        specs.extend_from_slice(genai::SPECS);
        specs.extend_from_slice(parts::SPECS);
        specs.extend_from_slice(digests::SPECS);
        specs.extend_from_slice(user_agent::SPECS);
        specs.extend_from_slice(csv::SPECS);
        specs.extend_from_slice(lambda::SPECS);
        specs.extend_from_slice(reset::SPECS);
        specs.extend_from_slice(severity::SPECS);
        specs.extend_from_slice(url::SPECS);
        specs.extend_from_slice(network::SPECS);
        specs.extend_from_slice(xml::SPECS);
        specs.extend_from_slice(grok::SPECS);
        Registry { specs, gates }
    }

    /// Whether statements may call functions behind `gate`.
    pub fn gate_enabled(&self, gate: &str) -> bool {
        self.gates.contains(&gate)
    }

    pub fn get(&self, name: &str) -> Option<&FunctionSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    pub fn closest(&self, name: &str) -> Option<&'static str> {
        closest(name, self.specs.iter().map(|s| s.name))
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.specs.iter().map(|s| s.name)
    }
}

/// `FunctionSpec` for an editor.
pub const fn editor(name: &'static str, params: &'static [Param], build: EditorBuild) -> FunctionSpec {
    FunctionSpec {
        name,
        params,
        builder: Builder::Editor(build),
        gate: None,
    }
}

/// `FunctionSpec` for a converter.
pub const fn converter(name: &'static str, params: &'static [Param], build: ConverterBuild) -> FunctionSpec {
    FunctionSpec {
        name,
        params,
        builder: Builder::Converter(build),
        gate: None,
    }
}

/// `spec`, callable only with `gate` on.
pub const fn gated(spec: FunctionSpec, gate: &'static str) -> FunctionSpec {
    FunctionSpec {
        gate: Some(gate),
        ..spec
    }
}
