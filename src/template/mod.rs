//! IngestionTemplates: a YAML file of OTTL statements in the transformprocessor's shape,
//! compiled once into a `CompiledTemplate` that reshapes requests.

mod builtin;
mod catalog;
mod file;
pub mod golden;
mod group;
pub mod guard;
mod infer;
mod program;

pub use catalog::{CatalogEntry, TemplateCatalog, TemplatesConfig};
pub use file::{ErrorMode, GroupSpec, StatementEntry, TemplateFile};
pub use program::{ApplyError, ApplyReport, CompiledTemplate, TemplateError};
