//! Workloads through the binary: a tokenizer file, a dataset, a trace, shared prefixes and
//! conversations, checked in the results directory.

use crate::{headroom, stderr};
use headroom_core::RequestRecord;
use std::path::Path;

fn records(dir: &Path) -> Vec<RequestRecord> {
    let mut v: Vec<RequestRecord> = std::fs::read_to_string(dir.join("requests.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    v.sort_by_key(|r| r.index);
    v
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A word-level Hugging Face tokenizer written by the test: every word of the corpus and
/// its punctuation is one token.
pub(crate) fn word_level_tokenizer(dir: &Path) -> std::path::PathBuf {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), 0.into());
    for w in headroom_workload::CORPUS
        .split(|c: char| !c.is_alphanumeric())
        .chain([".", ",", ";", ":", "!", "?", "'", "\"", "-", "--", "(", ")"])
        .filter(|w| !w.is_empty())
    {
        let n = vocab.len();
        vocab.entry(w.to_string()).or_insert(n.into());
    }
    let t = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
        "decoder": null, "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    });
    let p = dir.join("tokenizer.json");
    std::fs::write(&p, t.to_string()).unwrap();
    p
}

#[test]
fn a_tokenizer_file_gives_exact_lengths_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let tok = word_level_tokenizer(dir.path());
    let out = dir.path().join("r");
    let o = headroom()
        .args([
            "run",
            "-c",
            "4",
            "-n",
            "12",
            "--input-tokens",
            "150:30",
            "--output-tokens",
            "8",
        ])
        .args([
            "--tokenizer",
            tok.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 12);
    // The embedded simulator counts with the same tokenizer: server and workload agree.
    for r in &recs {
        assert_eq!(Some(r.input_tokens), r.requested_input_tokens, "{r:?}");
    }
    assert!(recs.iter().any(|r| r.input_tokens != 150), "lengths vary");
    let m = json(&out.join("manifest.json"));
    assert_eq!(
        m["scenario"]["workload"]["tokenizer"],
        tok.display().to_string()
    );
    assert_eq!(m["scenario"]["workload"]["exact_lengths"], true);
}

#[test]
fn datasets_traces_prefixes_and_conversations_in_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A dataset of three prompts: sent once each by default.
    let ds = d.join("prompts.jsonl");
    std::fs::write(
        &ds,
        "{\"prompt\": \"Tell me about rivers.\", \"output_tokens\": 5}\n\
         {\"messages\": [{\"role\": \"user\", \"content\": \"And lakes?\"}]}\n\
         {\"text\": \"Mountains, please.\", \"output_tokens\": 7}\n",
    )
    .unwrap();
    let o = headroom()
        .args(["predict", "-c", "2", "--dataset"])
        .arg(format!("jsonl:{}", ds.display()))
        .args(["--dataset-sampling", "sequential", "-o"])
        .arg(d.join("ds"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs = records(&d.join("ds"));
    assert_eq!(recs.len(), 3);
    // Each entry's own output length; the one without gets the default distribution.
    assert_eq!((recs[0].max_tokens, recs[2].max_tokens), (5, 7));
    assert!((70..=130).contains(&recs[1].max_tokens));

    // A malformed dataset line is a usage error naming it.
    std::fs::write(&ds, "{\"prompt\": \"ok\"}\n{\"prompt\": 5}\n").unwrap();
    let o = headroom()
        .args(["predict", "--dataset"])
        .arg(format!("jsonl:{}", ds.display()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));

    // A trace: requests at the trace's times, with the trace's lengths.
    let tr = d.join("arrivals.jsonl");
    std::fs::write(
        &tr,
        "{\"t_ms\": 0, \"input_tokens\": 300, \"output_tokens\": 4}\n\
         {\"t_ms\": 250, \"input_tokens\": 500, \"output_tokens\": 6}\n\
         {\"t_ms\": 1000, \"input_tokens\": 100, \"output_tokens\": 2}\n",
    )
    .unwrap();
    let o = headroom()
        .args([
            "predict",
            "--trace",
            tr.to_str().unwrap(),
            "--trace-speedup",
            "2",
            "-o",
        ])
        .arg(d.join("tr"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs = records(&d.join("tr"));
    assert_eq!(
        recs.iter()
            .map(|r| (
                r.intended_us.unwrap() - 1_000,
                r.input_tokens,
                r.output_tokens
            ))
            .collect::<Vec<_>>(),
        vec![(0, 300, 4), (125_000, 500, 6), (500_000, 100, 2)]
    );

    // Shared prefixes: the summary compares cold and warm TTFT.
    let o = headroom()
        .args([
            "predict",
            "-c",
            "4",
            "-n",
            "40",
            "--prefix-tokens",
            "2048",
            "--prefix-groups",
            "2",
        ])
        .args(["--input-tokens", "64", "-o"])
        .arg(d.join("px"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = json(&d.join("px").join("summary.json"));
    assert_eq!(s["prefix"]["groups"], 2);
    let recs = records(&d.join("px"));
    assert!(recs.iter().all(|r| r.input_tokens == 2048 + 64));
    assert_eq!(recs[3].tags.prefix_group, Some(1));

    // Conversations: turns in order, per-turn metrics.
    let o = headroom()
        .args([
            "predict",
            "-c",
            "2",
            "-n",
            "12",
            "--conversation-turns",
            "3",
        ])
        .args(["--think-time", "1s", "--input-tokens", "50", "-o"])
        .arg(d.join("cv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs = records(&d.join("cv"));
    assert_eq!(recs.len(), 12);
    assert_eq!(
        recs.iter()
            .map(|r| r.tags.turn.unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3].repeat(4)
    );
    assert!(recs[2].input_tokens > recs[1].input_tokens && recs[1].input_tokens > 50);
    let s = json(&d.join("cv").join("summary.json"));
    assert_eq!(s["turns"]["3"]["requests"], 4);
}
