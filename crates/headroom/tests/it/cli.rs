//! Flags, help and error messages.

use crate::{headroom, stderr, stdout};

fn help(args: &[&str]) -> String {
    let o = headroom().args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn run_help() {
    insta::assert_snapshot!(help(&["run", "--help"]));
}

#[test]
fn profile_help() {
    insta::assert_snapshot!(help(&["profile", "--help"]));
}

#[test]
fn compare_help() {
    insta::assert_snapshot!(help(&["compare", "--help"]));
}

#[test]
fn report_help() {
    insta::assert_snapshot!(help(&["report", "--help"]));
}

#[test]
fn sim_help() {
    insta::assert_snapshot!(help(&["sim", "--help"]));
}

#[test]
fn a_wrong_flag_is_a_usage_error() {
    let o = headroom()
        .args(["run", "--concurency", "5"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--concurrency"), "suggests the right flag: {e}");
}

#[test]
fn bad_values_say_what_is_expected() {
    for (args, want) in [
        (
            vec!["run", "--input-tokens", "lots"],
            "expected N, MEAN:STDDEV, MIN..MAX",
        ),
        (vec!["run", "--duration", "10"], "with a unit"),
        (
            vec!["run", "--warmup", "soon"],
            "request count (20) or a duration (20s)",
        ),
        (
            vec!["run", "--concurrency", "4", "--rate", "2"],
            "cannot be used with",
        ),
        (vec!["run", "--think-time", "2s"], "--conversation-turns"),
        (
            vec!["run", "--dataset", "a.jsonl", "--trace", "t.jsonl"],
            "cannot be used with",
        ),
        (
            vec!["run", "--api", "responses"],
            "possible values: chat, completions",
        ),
        (
            vec!["sim", "--fault", "boom=0.1"],
            "expected one of http-429",
        ),
    ] {
        let o = headroom().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert!(e.contains(want), "{args:?}: {e}");
    }
    for (args, want) in [
        (vec!["run", "--extra-body", "[1]"], "must be a JSON object"),
        (vec!["run", "--extra-body", "{oops"], "is not valid JSON"),
        (vec!["run", "--label", "novalue"], "expected KEY=VALUE"),
        (vec!["run", "--header", "nocolon"], "expected NAME:VALUE"),
        (vec!["run", "--url", "localhost:8000"], "http://"),
        (
            vec!["run", "--rate", "0"],
            "--rate must be a positive number",
        ),
        (vec!["run", "--concurrency", "0"], "at least 1"),
        (
            vec!["run", "--max-concurrency", "4"],
            "give --rate or --trace",
        ),
        (
            vec!["run", "--tokenizer", "acme/no-such-model"],
            "tokenizer \"acme/no-such-model\" not found",
        ),
        (
            vec!["run", "--conversation-turns", "3", "--rate", "2"],
            "closed loop",
        ),
        (vec!["run", "--dataset", "prompts.txt"], "sharegpt:PATH"),
        (
            vec!["run", "--trace", "/nonexistent/t.jsonl"],
            "/nonexistent/t.jsonl",
        ),
    ] {
        let o = headroom().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert!(e.contains(want), "{args:?}: {e}");
    }
}

#[test]
fn an_unreachable_server_fails_fast_with_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let url = headroom_testkit::refused_url();
    let o = headroom()
        .current_dir(dir.path())
        .args(["run", "--url", &url, "--requests", "5"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("cannot reach") && e.contains("Is the server running"),
        "{e}"
    );
    assert!(
        !dir.path().join("results").exists(),
        "nothing to keep: no results directory"
    );
}
