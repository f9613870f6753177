//! The `intake` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use intake::app::key_cli::{self, KeyCommand};
use intake::app::{IntakeConfig, LogFormat};
use intake::ottl::Registry;
use intake::template::{golden, CompiledTemplate, TemplateCatalog, TemplatesConfig};

/// intake: an OTLP ingestion receiver. It checks ingestion keys, stamps who sent the
/// telemetry, and publishes it to Kafka (or, with no Kafka configured, to a file).
///
/// Configuration: a TOML file (--config / INTAKE_CONFIG), every field overridable with
/// INTAKE_<SECTION>__<FIELD> environment variables (e.g. INTAKE_KAFKA__BROKERS).
#[derive(Parser)]
#[command(name = "intake", version, about, long_about)]
struct Cli {
    /// Config file (TOML). Without one, the embedded defaults apply.
    #[arg(long, short, global = true, env = "INTAKE_CONFIG")]
    config: Option<PathBuf>,
    /// OTTL feature gates to turn on, comma-separated, as the collector's (e.g.
    /// `ottl.functions.enableLambda`). `serve` adds them to `[templates] feature_gates`.
    #[arg(long, global = true, value_delimiter = ',')]
    feature_gates: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the receiver: OTLP/gRPC on :4317, OTLP/HTTP on :4318.
    ///
    /// With no Kafka configured it writes OTLP/JSON lines to <data_dir>/spans.jsonl, and
    /// on first start creates <data_dir>/keys.toml with a dev key it prints once.
    Serve,
    /// Manage keys in the configured store (the key file, or Postgres with [auth.postgres]).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print the effective configuration (file + environment, secrets redacted).
    Config,
    /// Work with IngestionTemplates (OTTL statement files).
    #[command(subcommand)]
    Template(TemplateCommand),
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Apply a template to an OTLP/JSON ExportTraceServiceRequest.
    ///
    /// Exit status: 0 on success (statement errors under error_mode ignore/silent
    /// included; ignored errors are printed to stderr), 1 when a statement fails under
    /// error_mode propagate (nothing is written), 2 when the template does not parse or
    /// compile.
    Apply {
        /// The template file (YAML).
        template: PathBuf,
        /// OTLP/JSON input; standard input by default.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Where to write the OTLP/JSON result; standard output by default.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Run golden tests: DIR/tests/<slug>/<case>.input.json against <case>.expected.json,
    /// with the templates of DIR (and the built-in catalog). Prints a diff per failure.
    Test {
        /// Template directory (default: templates).
        #[arg(default_value = "templates")]
        dir: PathBuf,
    },
    /// List the catalog: slugs, versions, sources (built-in plus DIR).
    List {
        /// An extra template directory.
        dir: Option<PathBuf>,
    },
    /// Parse and compile templates; print every error with file:line:col and a caret.
    Check {
        /// Template files.
        #[arg(required = true)]
        templates: Vec<PathBuf>,
    },
}

/// Most of a request's work is small allocations (decoded strings, attribute vectors, records);
/// mimalloc makes them cheaper than glibc's malloc and keeps per-thread caches.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Template(command) = &cli.command {
        // Template tools need no receiver configuration.
        std::process::exit(template_command(command, &cli.feature_gates));
    }
    let mut config = IntakeConfig::load(cli.config.as_deref(), std::env::vars()).context("invalid configuration")?;
    config.templates.feature_gates.extend(cli.feature_gates.iter().cloned());
    match cli.command {
        Command::Serve => {
            init_tracing(&config);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .thread_stack_size(intake::app::WORKER_STACK_BYTES)
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let shutdown = CancellationToken::new();
                intake::shutdown::cancel_on_signal(shutdown.clone());
                intake::app::serve(config, shutdown).await
            })?;
            Ok(())
        }
        Command::Key(command) => Ok(key_cli::run(&config, command)?),
        Command::Config => {
            print!("{}", toml::to_string_pretty(&config)?);
            Ok(())
        }
        Command::Template(_) => Ok(()),
    }
}

fn load_template(
    path: &std::path::Path,
    registry: &Registry,
    gates: &[String],
) -> Result<std::sync::Arc<CompiledTemplate>, String> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let template =
        CompiledTemplate::compile(&source, &path.display().to_string(), registry).map_err(|e| e.to_string())?;
    if !template.composes() {
        return Ok(std::sync::Arc::new(template));
    }
    // Includes resolve against the catalog: the built-in one plus the file's directory.
    let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let catalog = TemplateCatalog::load(&TemplatesConfig {
        dirs: vec![dir],
        feature_gates: gates.to_vec(),
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let slug = template.slug.clone().unwrap_or_default();
    catalog
        .resolve(&format!("{slug}@{}", template.version))
        .map(|entry| std::sync::Arc::clone(&entry.template))
        .ok_or_else(|| format!("{}: template `{slug}` did not load", path.display()))
}

/// Runs a `template` subcommand and returns the exit status.
fn template_command(command: &TemplateCommand, gates: &[String]) -> i32 {
    let registry = match Registry::with_gates(gates) {
        Ok(r) => r,
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    match command {
        TemplateCommand::Test { dir } => template_test(dir, gates),
        TemplateCommand::List { dir } => template_list(dir.as_deref(), gates),
        TemplateCommand::Check { templates } => template_check(templates, &registry, gates),
        TemplateCommand::Apply {
            template,
            input,
            output,
        } => template_apply(template, input.as_deref(), output.as_deref(), &registry, gates),
    }
}

fn template_test(dir: &std::path::Path, gates: &[String]) -> i32 {
    let config = TemplatesConfig {
        dirs: vec![dir.to_path_buf()],
        feature_gates: gates.to_vec(),
        ..Default::default()
    };
    let catalog = match TemplateCatalog::load(&config) {
        Ok(c) => c,
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    let cases = golden::discover(&dir.join("tests"));
    let mut failed = 0;
    for case in &cases {
        match golden::run(&catalog, case) {
            Ok(()) => println!("ok     {}/{}", case.slug, case.name),
            Err(diff) => {
                failed += 1;
                println!("FAILED {}/{}\n{diff}", case.slug, case.name);
            }
        }
    }
    println!("{} passed, {failed} failed", cases.len() - failed);
    i32::from(failed > 0 || cases.is_empty())
}

fn template_list(dir: Option<&std::path::Path>, gates: &[String]) -> i32 {
    let config = TemplatesConfig {
        dirs: dir.iter().map(|d| d.to_path_buf()).collect(),
        feature_gates: gates.to_vec(),
        ..Default::default()
    };
    match TemplateCatalog::load(&config) {
        Ok(catalog) => {
            for entry in catalog.entries().iter() {
                let t = &entry.template;
                println!(
                    "{:<16} {:<6} {:<16} {}",
                    entry.slug,
                    entry.version,
                    t.source_type.as_deref().unwrap_or("-"),
                    t.display_name.as_deref().unwrap_or("")
                );
            }
            0
        }
        Err(error) => {
            eprintln!("{error}");
            2
        }
    }
}

fn template_check(templates: &[PathBuf], registry: &Registry, gates: &[String]) -> i32 {
    let mut status = 0;
    for path in templates {
        match load_template(path, registry, gates) {
            Ok(template) => {
                let statements = template.statement_count();
                println!(
                    "{}: ok ({} groups, {statements} statements)",
                    path.display(),
                    template.group_count()
                );
            }
            Err(error) => {
                eprintln!("{error}");
                status = 2;
            }
        }
    }
    status
}

fn template_apply(
    template: &std::path::Path,
    input: Option<&std::path::Path>,
    output: Option<&std::path::Path>,
    registry: &Registry,
    gates: &[String],
) -> i32 {
    let compiled = match load_template(template, registry, gates) {
        Ok(t) => t,
        Err(error) => {
            eprintln!("{error}");
            return 2;
        }
    };
    let data = match input {
        Some(path) => std::fs::read(path).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map(|_| buf)
                .map_err(|e| format!("stdin: {e}"))
        }
    };
    let data = match data {
        Ok(d) => d,
        Err(error) => {
            eprintln!("{error}");
            return 1;
        }
    };
    match compiled.apply_otlp_json(&data) {
        Ok((out, report)) => {
            for (statement, error) in &report.failures {
                eprintln!("warning: statement `{statement}` failed (error_mode ignore): {error}");
            }
            let written = match output {
                Some(path) => std::fs::write(path, &out).map_err(|e| format!("{}: {e}", path.display())),
                None => std::io::Write::write_all(&mut std::io::stdout(), &out).map_err(|e| format!("stdout: {e}")),
            };
            match written {
                Ok(()) => 0,
                Err(error) => {
                    eprintln!("{error}");
                    1
                }
            }
        }
        Err(error) => {
            eprintln!("{error}");
            1
        }
    }
}

fn init_tracing(config: &IntakeConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
