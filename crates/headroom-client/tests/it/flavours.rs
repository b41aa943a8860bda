//! Request shapes: base paths, headers, extra body, model listing.

use crate::{backend, one};
use headroom_client::{ClientConfig, preflight};
use headroom_sim::SimConfig;
use headroom_testkit::{spawn_sim, spawn_sim_at};

#[tokio::test]
async fn a_base_path_behind_a_proxy_is_kept() {
    let sim = spawn_sim_at(SimConfig::default(), "/proxy").await;
    for url in [format!("{}/v1", sim.url), sim.url.clone()] {
        let rec = one(&backend(ClientConfig::new(&url)), 3).await;
        assert!(rec.is_ok(), "{url}: {:?}", rec.outcome);
    }
}

#[tokio::test]
async fn preflight_lists_models_and_version() {
    let sim = spawn_sim(SimConfig {
        model: "org/model-7b".into(),
        ..SimConfig::default()
    })
    .await;
    let info = preflight(&ClientConfig::new(&sim.url)).await.unwrap();
    assert_eq!(info.models[0].id, "org/model-7b");
    assert_eq!(info.models[0].max_model_len, Some(32_768));
    assert!(info.version.unwrap().starts_with("headroom-sim"));
}

#[tokio::test]
async fn preflight_against_nothing_says_what_to_check() {
    let err = preflight(&ClientConfig::new(headroom_testkit::refused_url()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot reach") && err.contains("Is the server running"),
        "{err}"
    );
}

#[tokio::test]
async fn extra_body_and_headers_are_sent() {
    let sim = spawn_sim(SimConfig::default()).await;
    let mut cfg = ClientConfig::new(&sim.url);
    cfg.headers = vec![("X-Trace".into(), "abc".into())];
    cfg.api_key = Some("sk-test".into());
    cfg.extra_body =
        Some(serde_json::from_str(r#"{"ignore_eos": true, "max_tokens": 4}"#).unwrap());
    let b = backend(cfg.clone());
    let body: serde_json::Value = serde_json::from_slice(&b.body(crate::spec(9))).unwrap();
    assert_eq!(body["ignore_eos"], true);
    assert_eq!(
        body["max_tokens"], 4,
        "--extra-body overrides headroom's own fields"
    );
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["messages"][0]["role"], "user");
    let rec = one(&b, 9).await;
    assert!(rec.is_ok());
    assert_eq!(rec.output_tokens, 4);
    assert!(
        format!("{b:?}").find("sk-test").is_none(),
        "the key never shows in Debug output"
    );
}

#[test]
fn ignore_eos_asks_for_the_full_length() {
    let mut cfg = ClientConfig::new("http://127.0.0.1:9");
    let plain: serde_json::Value =
        serde_json::from_slice(&backend(cfg.clone()).body(crate::spec(37))).unwrap();
    assert!(plain.get("ignore_eos").is_none() && plain.get("min_tokens").is_none());
    cfg.ignore_eos = true;
    let body: serde_json::Value =
        serde_json::from_slice(&backend(cfg).body(crate::spec(37))).unwrap();
    assert_eq!(body["ignore_eos"], true);
    assert_eq!(body["min_tokens"], 37);
    assert_eq!(body["max_tokens"], 37);
}
