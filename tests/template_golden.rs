//! Every catalog template's golden tests (`templates/tests/<slug>/`), and every catalog
//! template has some.

use std::path::Path;

use intake::template::{golden, TemplateCatalog, TemplatesConfig};

#[test]
fn every_golden_case_of_every_catalog_template() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let catalog = TemplateCatalog::load(&TemplatesConfig {
        dirs: vec![root.clone()],
        ..Default::default()
    })
    .expect("catalog loads");
    let cases = golden::discover(&root.join("tests"));
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for case in &cases {
        *counts.entry(case.slug.clone()).or_insert(0) += 1;
        if let Err(diff) = golden::run(&catalog, case) {
            failures.push(format!("{}/{}\n{diff}", case.slug, case.name));
        }
    }
    for entry in catalog.entries().iter() {
        assert!(
            counts.contains_key(&entry.slug),
            "template `{}` has no golden tests in templates/tests/{}/",
            entry.slug,
            entry.slug
        );
    }
    println!("golden cases per template: {counts:?}");
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
