//! `TemplateCatalog`: the built-in templates plus operators' directories, compiled at
//! start and recompiled when a file changes. A file that fails to compile is reported
//! and its previous version keeps serving; the swap to a new set is atomic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::builtin::BUILTIN;
use super::group::StatementGroup;
use super::program::{CompiledTemplate, TemplateError};
use crate::ottl::Registry;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesConfig {
    /// Operator template directories (`*.yaml`), beside the built-in catalog. A template
    /// here with the same slug and version as a built-in one replaces it.
    #[serde(default)]
    pub dirs: Vec<PathBuf>,
    /// How often the directories are checked for changes.
    #[serde(default = "default_reload_interval", with = "humantime_serde")]
    pub reload_interval: Duration,
    /// The template for keys that name none.
    #[serde(default = "default_template")]
    pub default: String,
    /// OTTL feature gates to turn on, as the collector's `--feature-gates`
    /// (`ottl.functions.enableLambda`: lambdas and the functions that take them).
    #[serde(default)]
    pub feature_gates: Vec<String>,
}

fn default_reload_interval() -> Duration {
    Duration::from_secs(1)
}

fn default_template() -> String {
    "auto".to_owned()
}

impl Default for TemplatesConfig {
    fn default() -> Self {
        Self {
            dirs: Vec::new(),
            reload_interval: default_reload_interval(),
            default: default_template(),
            feature_gates: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct CatalogEntry {
    pub slug: String,
    pub version: String,
    /// Where it came from: `builtin:openinference.yaml` or a file path.
    pub origin: String,
    pub template: Arc<CompiledTemplate>,
    id: String,
}

impl CatalogEntry {
    pub fn new(slug: String, version: String, origin: String, template: Arc<CompiledTemplate>) -> Self {
        let id = format!("{slug}@{version}");
        Self {
            slug,
            version,
            origin,
            template,
            id,
        }
    }

    /// `slug@version`: stamped as `langwatch.template.id`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// One swap-in set of templates, indexed so a request resolves its template with one
/// hash lookup.
#[derive(Default)]
struct CatalogState {
    entries: Arc<Vec<Arc<CatalogEntry>>>,
    by_id: HashMap<String, Arc<CatalogEntry>>,
    latest: HashMap<String, Arc<CatalogEntry>>,
}

impl CatalogState {
    fn new(entries: Vec<Arc<CatalogEntry>>) -> Self {
        let mut by_id = HashMap::new();
        let mut latest: HashMap<String, Arc<CatalogEntry>> = HashMap::new();
        for entry in &entries {
            by_id.insert(entry.id().to_owned(), Arc::clone(entry));
            let newer = latest
                .get(&entry.slug)
                .is_none_or(|current| compare_versions(&entry.version, &current.version).is_gt());
            if newer {
                latest.insert(entry.slug.clone(), Arc::clone(entry));
            }
        }
        Self {
            entries: Arc::new(entries),
            by_id,
            latest,
        }
    }
}

struct FileState {
    digest: [u8; 32],
    entry: Option<Arc<CatalogEntry>>,
}

pub struct TemplateCatalog {
    dirs: Vec<PathBuf>,
    registry: Registry,
    files: Mutex<HashMap<String, FileState>>,
    state: ArcSwap<CatalogState>,
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| -> Vec<u64> { v.split(['.', '-']).map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

impl TemplateCatalog {
    /// Loads the built-in catalog and every directory. Any error fails start.
    pub fn load(config: &TemplatesConfig) -> Result<TemplateCatalog, TemplateError> {
        let catalog = TemplateCatalog {
            dirs: config.dirs.clone(),
            registry: Registry::with_gates(&config.feature_gates).map_err(TemplateError::Statement)?,
            files: Mutex::new(HashMap::new()),
            state: ArcSwap::from_pointee(CatalogState::default()),
        };
        let errors = catalog.reload();
        if let Some(first) = errors.into_iter().next() {
            return Err(first);
        }
        Ok(catalog)
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn sources(&self) -> Vec<(String, String)> {
        let mut sources: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(name, text)| (format!("builtin:{name}"), (*text).to_owned()))
            .collect();
        for dir in &self.dirs {
            let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
                Ok(read) => read
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                    .collect(),
                Err(error) => {
                    tracing::error!(message = "cannot read template directory", dir = %dir.display(), %error);
                    continue;
                }
            };
            paths.sort();
            for path in paths {
                match std::fs::read_to_string(&path) {
                    Ok(text) => sources.push((path.display().to_string(), text)),
                    Err(error) => {
                        tracing::error!(message = "cannot read template", path = %path.display(), %error)
                    }
                }
            }
        }
        sources
    }

    /// Re-reads every source; recompiles what changed. Returns the compile errors (each
    /// failing file keeps its previous version serving).
    pub fn reload(&self) -> Vec<TemplateError> {
        let sources = self.sources();
        let mut errors = Vec::new();
        let Ok(mut files) = self.files.lock() else {
            return errors;
        };
        let mut changed = false;
        let present: Vec<String> = sources.iter().map(|(o, _)| o.clone()).collect();
        let before = files.len();
        files.retain(|origin, _| present.contains(origin));
        changed |= files.len() != before;
        for (origin, text) in &sources {
            let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
            if files.get(origin).is_some_and(|f| f.digest == digest) {
                continue;
            }
            changed = true;
            match CompiledTemplate::compile(text, origin, &self.registry) {
                Ok(template) => {
                    let slug = template.slug.clone().unwrap_or_else(|| {
                        Path::new(origin.trim_start_matches("builtin:"))
                            .file_stem()
                            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
                    });
                    let entry = CatalogEntry::new(slug, template.version.clone(), origin.clone(), Arc::new(template));
                    tracing::info!(message = "template loaded", template = %entry.id(), origin = %origin);
                    files.insert(
                        origin.clone(),
                        FileState {
                            digest,
                            entry: Some(Arc::new(entry)),
                        },
                    );
                }
                Err(error) => {
                    tracing::error!(message = "template failed to compile; the previous version keeps serving", origin = %origin, %error);
                    let previous = files.remove(origin).and_then(|f| f.entry);
                    files.insert(
                        origin.clone(),
                        FileState {
                            digest,
                            entry: previous,
                        },
                    );
                    errors.push(error);
                }
            }
        }
        if changed {
            let mut base: Vec<Arc<CatalogEntry>> = Vec::new();
            // Later sources (operator directories) replace earlier ones with the same id.
            for (origin, _) in &sources {
                if let Some(entry) = files.get(origin).and_then(|f| f.entry.clone()) {
                    base.retain(|e| e.id() != entry.id());
                    base.push(entry);
                }
            }
            let composed = compose_includes(base, &mut errors);
            let state = Arc::new(CatalogState::new(composed));
            self.state.store(state);
        }
        errors
    }

    pub fn entries(&self) -> Arc<Vec<Arc<CatalogEntry>>> {
        Arc::clone(&self.state.load().entries)
    }

    /// `slug` (its highest version) or `slug@version`.
    pub fn resolve(&self, spec: &str) -> Option<Arc<CatalogEntry>> {
        let state = self.state.load();
        let index = if spec.contains('@') {
            &state.by_id
        } else {
            &state.latest
        };
        index.get(spec).cloned()
    }

    /// Polls the directories until `shutdown`.
    pub fn spawn_watcher(
        self: &Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let catalog = Arc::clone(self);
        crate::poller::spawn_poller(interval, shutdown, move || {
            catalog.reload();
        })
    }
}

/// The groups of every signal, in the order they run.
#[derive(Default)]
struct ComposedGroups {
    traces: Vec<Arc<StatementGroup>>,
    logs: Vec<Arc<StatementGroup>>,
    metrics: Vec<Arc<StatementGroup>>,
}

impl ComposedGroups {
    fn extend(&mut self, other: ComposedGroups) {
        self.traces.extend(other.traces);
        self.logs.extend(other.logs);
        self.metrics.extend(other.metrics);
    }

    fn own(template: &CompiledTemplate) -> ComposedGroups {
        ComposedGroups {
            traces: template.groups.clone(),
            logs: template.log_groups.clone(),
            metrics: template.metric_groups.clone(),
        }
    }

    /// A group reached twice (every source template ends with `genai_semconv`, and `auto`
    /// includes them all) runs once, at its last place: after every source's own groups.
    fn dedup_keep_last(&mut self) {
        for list in [&mut self.traces, &mut self.logs, &mut self.metrics] {
            let mut seen: Vec<*const StatementGroup> = Vec::with_capacity(list.len());
            let mut kept: Vec<Arc<StatementGroup>> = Vec::with_capacity(list.len());
            for group in list.drain(..).rev() {
                let ptr = Arc::as_ptr(&group);
                if !seen.contains(&ptr) {
                    seen.push(ptr);
                    kept.push(group);
                }
            }
            kept.reverse();
            *list = kept;
        }
    }
}

/// The groups `entry` runs: its includes' (expanded the same way), its own, then its `then`
/// templates'. `stack` holds the slugs being expanded, so a cycle is an error, not a hang.
fn expand(
    entry: &CatalogEntry,
    lookup: &dyn Fn(&str) -> Option<Arc<CatalogEntry>>,
    stack: &mut Vec<String>,
) -> Result<ComposedGroups, String> {
    if stack.contains(&entry.slug) {
        return Err(format!(
            "{}: templates include each other: {} -> {}",
            entry.origin,
            stack.join(" -> "),
            entry.slug
        ));
    }
    stack.push(entry.slug.clone());
    let mut out = ComposedGroups::default();
    let template = &entry.template;
    for (i, slug) in template.include.iter().chain(&template.then).enumerate() {
        if i == template.include.len() {
            out.extend(ComposedGroups::own(template));
        }
        let other =
            lookup(slug).ok_or_else(|| format!("{}: included template `{slug}` does not exist", entry.origin))?;
        out.extend(expand(&other, lookup, stack)?);
    }
    if template.then.is_empty() {
        out.extend(ComposedGroups::own(template));
    }
    stack.pop();
    Ok(out)
}

/// Templates with `include:` get the included templates' groups in front of their own, and
/// those with `then:` the named templates' groups after.
fn compose_includes(base: Vec<Arc<CatalogEntry>>, errors: &mut Vec<TemplateError>) -> Vec<Arc<CatalogEntry>> {
    let lookup = |slug: &str| {
        base.iter()
            .filter(|e| e.slug == slug)
            .max_by(|a, b| compare_versions(&a.version, &b.version))
            .cloned()
    };
    let mut out = Vec::with_capacity(base.len());
    for entry in &base {
        if !entry.template.composes() {
            out.push(Arc::clone(entry));
            continue;
        }
        let mut composed = match expand(entry, &lookup, &mut Vec::new()) {
            Ok(groups) => groups,
            Err(message) => {
                tracing::error!(message = "template include failed", error = %message);
                errors.push(TemplateError::Statement(message));
                continue;
            }
        };
        composed.dedup_keep_last();
        let template = CompiledTemplate {
            log_groups: composed.logs,
            metric_groups: composed.metrics,
            slug: entry.template.slug.clone(),
            version: entry.template.version.clone(),
            display_name: entry.template.display_name.clone(),
            source_type: entry.template.source_type.clone(),
            description: entry.template.description.clone(),
            include: entry.template.include.clone(),
            then: entry.template.then.clone(),
            groups: composed.traces,
        };
        out.push(Arc::new(CatalogEntry::new(
            entry.slug.clone(),
            entry.version.clone(),
            entry.origin.clone(),
            Arc::new(template),
        )));
    }
    out
}
