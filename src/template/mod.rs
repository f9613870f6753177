//! IngestionTemplates: a YAML file of OTTL statements in the transformprocessor's shape,
//! compiled once into a `CompiledTemplate` that reshapes requests.

mod file;
mod group;
mod infer;
mod program;

pub use file::{ErrorMode, GroupSpec, StatementEntry, TemplateFile};
pub use program::{ApplyError, ApplyReport, CompiledTemplate, TemplateError};
