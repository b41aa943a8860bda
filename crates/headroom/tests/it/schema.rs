//! The JSON Schemas in `schemas/` describe the results files exactly: they are generated
//! from the types, and real output validates against them.
//!
//! After changing a results type, regenerate with
//! `UPDATE_SCHEMAS=1 cargo test -p headroom --test it schema`.

use crate::{fast_sim, run_in, stderr};
use headroom_core::RequestRecord;
use headroom_metrics::Summary;
use headroom_results::{CapacityDoc, Manifest, SweepDoc, WatchRecord};
use headroom_telemetry::TelemetrySample;
use headroom_testkit::spawn_sim;
use std::path::{Path, PathBuf};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn generated() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "manifest.schema.json",
            serde_json::to_value(schemars::schema_for!(Manifest)).unwrap(),
        ),
        (
            "request-record.schema.json",
            serde_json::to_value(schemars::schema_for!(RequestRecord)).unwrap(),
        ),
        (
            "summary.schema.json",
            serde_json::to_value(schemars::schema_for!(Summary)).unwrap(),
        ),
        (
            "capacity.schema.json",
            serde_json::to_value(schemars::schema_for!(CapacityDoc)).unwrap(),
        ),
        (
            "sweep.schema.json",
            serde_json::to_value(schemars::schema_for!(SweepDoc)).unwrap(),
        ),
        (
            "watch.schema.json",
            serde_json::to_value(schemars::schema_for!(WatchRecord)).unwrap(),
        ),
        (
            "telemetry.schema.json",
            serde_json::to_value(schemars::schema_for!(TelemetrySample)).unwrap(),
        ),
    ]
}

#[test]
fn committed_schemas_match_the_types() {
    for (name, schema) in generated() {
        let path = schemas_dir().join(name);
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/{name} is out of date: run UPDATE_SCHEMAS=1 cargo test -p headroom --test it schema"
        );
    }
}

fn validator(name: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let path = schemas_dir().join(name);
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = format!("file:///headroom/{name}");
    compiler.add_resource(&url, value).unwrap();
    let idx = compiler.compile(&url, &mut schemas).unwrap();
    (schemas, idx)
}

#[track_caller]
fn validate(name: &str, doc: &serde_json::Value) {
    let (schemas, idx) = validator(name);
    if let Err(e) = schemas.validate(doc, idx) {
        panic!("output does not match {name}: {e:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_output_validates_against_the_schemas() {
    let mut cfg = fast_sim();
    cfg.faults.specs = vec![
        "http-500=0.2".parse().unwrap(),
        "disconnect=0.2".parse().unwrap(),
    ];
    let sim = spawn_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run", "--url", &sim.url, "--rate", "100", "-n", "40", "--warmup", "5", "--out", "o",
            "--label", "k=v",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("o");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(f)).unwrap()).unwrap()
    };
    validate("manifest.schema.json", &read("manifest.json"));
    validate("summary.schema.json", &read("summary.json"));
    let journal = std::fs::read_to_string(out.join("requests.jsonl")).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for line in journal.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        kinds.insert(v["outcome"]["status"].as_str().unwrap().to_string());
        validate("request-record.schema.json", &v);
    }
    assert_eq!(kinds.len(), 2, "both ok and error records were validated");
    validate("summary.schema.json", &read("summary.json"));
    let telemetry = std::fs::read_to_string(out.join("telemetry.jsonl")).unwrap();
    assert!(
        telemetry.lines().count() >= 2,
        "the simulator's /metrics was scraped"
    );
    for line in telemetry.lines() {
        validate(
            "telemetry.schema.json",
            &serde_json::from_str(line).unwrap(),
        );
    }
}

#[tokio::test]
async fn real_sweep_and_capacity_files_validate_against_the_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let mut capacity: Vec<&str> = crate::ENGINE.to_vec();
    capacity.extend([
        "capacity",
        "--slo",
        "p95(e2e)<=3.81s",
        "--start",
        "20",
        "--step",
        "20",
        "--repeats",
        "2",
        "-n",
        "5x",
        "--out",
        "cap",
    ]);
    let mut sweep: Vec<&str> = crate::ENGINE.to_vec();
    sweep.extend([
        "sweep",
        "--concurrency",
        "10,40",
        "--slo",
        "p95(e2e)<=3.81s",
        "-n",
        "5x",
        "--out",
        "sw",
    ]);
    for (args, file, schema) in [
        (capacity, "cap/capacity.json", "capacity.schema.json"),
        (sweep, "sw/sweep.json", "sweep.schema.json"),
    ] {
        // Whether a level passes does not matter here (exit 0, 1, or 3 for a range): the
        // files do.
        let o = run_in(dir.path(), &args).await;
        assert!(matches!(o.status.code(), Some(0 | 1 | 3)), "{}", stderr(&o));
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(file)).unwrap()).unwrap();
        validate(schema, &doc);
        let run = doc["levels"][0]["repeats"][0]["dir"].as_str().unwrap();
        let root = dir.path().join(file).parent().unwrap().join(run);
        let watch: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("watch.json")).unwrap())
                .unwrap();
        validate("watch.schema.json", &watch);
    }
}

#[test]
fn the_schemas_reject_what_is_not_a_results_file() {
    let (schemas, idx) = validator("request-record.schema.json");
    let bad = serde_json::json!({"index": "three", "phase": "later"});
    assert!(schemas.validate(&bad, idx).is_err());
}
