//! Reports as people read them: each kind (run, sweep, capacity search, comparison) is
//! rendered by headless Chromium, which must log nothing to its console and show every
//! chart; `headroom report` rebuilds a killed run's report from its journal; `compare`
//! gates in CI.
//!
//! The Chromium tests need Debian's `chromium` package (`.ci/run` installs it where it
//! can); where it is missing they say so on stderr and skip. Screenshots are kept in
//! `target/tmp/report-screenshots/` for a person to look at.

use crate::{headroom, run_in, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

fn with_engine<'a>(gpu: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = crate::ENGINE.to_vec();
    v[2] = gpu;
    v.extend(rest);
    v
}

/// The Chromium binary, if installed.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        })
}

#[allow(clippy::print_stderr)] // The one way a test can say it skipped.
fn skip(what: &str) {
    eprintln!(
        "SKIPPED {what}: Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it where it can)"
    );
}

/// What Chromium made of a page.
struct Rendered {
    /// The DOM after loading.
    dom: String,
    /// Console messages (any level) and page errors.
    console: Vec<String>,
    /// The screenshot.
    screenshot: PathBuf,
}

fn headless(chrome: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let profile = tempfile::tempdir().unwrap();
    Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs")
}

/// Loads `page` in headless Chromium: the DOM, the console, and a screenshot `name`.png.
fn render(chrome: &Path, page: &Path, name: &str) -> Rendered {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let screenshot = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&screenshot);
    let dom = headless(chrome, &["--dump-dom"], page);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let shot = headless(
        chrome,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,4000",
        ],
        page,
    );
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let console = [&dom.stderr, &shot.stderr]
        .iter()
        .flat_map(|e| {
            String::from_utf8_lossy(e)
                .lines()
                .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    Rendered {
        dom: String::from_utf8_lossy(&dom.stdout).into_owned(),
        console,
        screenshot,
    }
}

/// Checks a rendered report: a clean console, every chart present with its axes, a
/// screenshot, nothing fetched from the network.
fn check(r: &Rendered, charts: &[&str]) {
    assert!(r.console.is_empty(), "console messages: {:#?}", r.console);
    let png = std::fs::read(&r.screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{}",
        r.screenshot.display()
    );
    assert!(
        png.len() > 50_000,
        "a blank screenshot? {} bytes",
        png.len()
    );
    for id in charts {
        let start = r
            .dom
            .find(&format!("data-chart=\"{id}\""))
            .unwrap_or_else(|| panic!("chart {id} missing from the page"));
        let figure = &r.dom[start..];
        let figure = &figure[..figure.find("</figure>").unwrap()];
        assert!(figure.contains("<svg"), "chart {id} has no SVG");
        assert!(
            figure.matches("<text").count() >= 6,
            "chart {id} has no axis text"
        );
    }
    let all: Vec<&str> = r
        .dom
        .match_indices("data-chart=\"")
        .map(|(i, m)| {
            let rest = &r.dom[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(all.len(), charts.len(), "charts on the page: {all:?}");
    // Labels, model names and dataset text are escaped: no markup of theirs survives.
    assert!(!r.dom.contains("<script"), "a <script> element in the page");
    assert!(!r.dom.contains("<img"), "an <img> element in the page");
    for bad in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!r.dom.contains(bad), "the report fetches something: {bad}");
    }
}

fn plots_present(dir: &Path, charts: &[&str]) {
    for id in charts {
        for ext in ["svg", "png"] {
            let p = dir.join("plots").join(format!("{id}.{ext}"));
            let bytes = std::fs::read(&p).unwrap_or_else(|_| panic!("{} missing", p.display()));
            assert!(bytes.len() > 1000, "{}", p.display());
        }
    }
}

/// A label a hostile server or careless user could supply.
const EVIL: &str = "note=<script>alert(1)</script><img src=x onerror=alert(2)>";

const RUN_CHARTS: [&str; 10] = [
    "ttft-histogram",
    "ttft-cdf",
    "itl-histogram",
    "itl-cdf",
    "e2e-histogram",
    "e2e-cdf",
    "latency-over-time",
    "throughput-over-time",
    "requests-over-time",
    "concurrency-over-time",
];

const LEVEL_CHARTS: [&str; 6] = [
    "latency-vs-load",
    "throughput-vs-load",
    "requests-vs-load",
    "latency-throughput",
    "e2e-cdf-by-level",
    "ttft-cdf-by-level",
];

#[tokio::test]
async fn the_console_check_catches_a_page_that_logs_errors() {
    let Some(chrome) = chromium() else {
        return skip("the console check");
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<html><body><p>x</p><script>console.error('boom'); missing();</script></body></html>",
    )
    .unwrap();
    let r = tokio::task::spawn_blocking(move || render(&chrome, &page, "negative-control"))
        .await
        .unwrap();
    // Both the DOM dump and the screenshot load the page: each logs both messages.
    assert_eq!(r.console.len(), 4, "{:#?}", r.console);
    assert!(r.console[0].contains("boom"), "{:#?}", r.console);
    assert!(
        r.console[1].contains("Uncaught ReferenceError"),
        "{:#?}",
        r.console
    );
}

#[tokio::test]
async fn every_report_kind_renders_in_chromium_with_all_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A run, a sweep and two capacity searches, in virtual time.
    let o = run_in(
        d,
        &with_engine(
            "l20",
            &[
                "--concurrency",
                "20",
                "--duration",
                "2m",
                "--label",
                "gpu=L20",
                "--label",
                EVIL,
                "--out",
                "run",
            ],
        ),
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(
        d,
        &with_engine(
            "l20",
            &[
                "sweep",
                "--concurrency",
                "5,10,20,40",
                "-n",
                "5x",
                "--out",
                "sweep",
            ],
        ),
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    for (gpu, out) in [("a10", "a10"), ("l20", "l20")] {
        let label = format!("gpu={}", gpu.to_uppercase());
        let o = run_in(
            d,
            &with_engine(
                gpu,
                &[
                    "capacity",
                    "--slo",
                    "p95(e2e)<=3.81s",
                    "--duration",
                    "3m",
                    "--start",
                    "5",
                    "--step",
                    "5",
                    "--label",
                    &label,
                    "--out",
                    out,
                ],
            ),
        )
        .await;
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run_in(
        d,
        &[
            "compare", "a10", "l20", "--price", "a10=1.01", "--price", "l20=1.10", "--out", "cmp",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));

    let mut capacity_charts = vec!["capacity-envelope"];
    capacity_charts.extend(&LEVEL_CHARTS);
    let compare_charts = [
        "compare-latency-vs-load",
        "compare-throughput-vs-load",
        "compare-e2e-cdf",
        "compare-ttft-cdf",
        "compare-itl-cdf",
    ];
    let kinds: Vec<(&str, Vec<&str>)> = vec![
        ("run", RUN_CHARTS.to_vec()),
        ("sweep", LEVEL_CHARTS.to_vec()),
        ("l20", capacity_charts),
        ("cmp", compare_charts.to_vec()),
    ];
    for (name, charts) in &kinds {
        plots_present(&d.join(name), charts);
        let md = std::fs::read_to_string(d.join(name).join("report.md")).unwrap();
        for id in charts {
            assert!(
                md.contains(&format!("(plots/{id}.png)")),
                "{name}: {id} not in report.md"
            );
        }
    }
    // Seed 000's documentation template, one block per level and run, and the tables.
    let capacity_md = std::fs::read_to_string(d.join("l20/report.md")).unwrap();
    settings().bind(|| insta::assert_snapshot!("capacity_report_md", capacity_md));
    let Some(chrome) = chromium() else {
        return skip("rendering the reports");
    };
    let root = d.to_path_buf();
    tokio::task::spawn_blocking(move || {
        for (name, charts) in kinds {
            let r = render(&chrome, &root.join(name).join("report.html"), name);
            check(&r, &charts);
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn report_rebuilds_a_killed_runs_report_from_its_journal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run_in(
        d,
        &with_engine(
            "l20",
            &[
                "--concurrency",
                "8",
                "-n",
                "400",
                "--no-report",
                "--out",
                "run",
            ],
        ),
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let run = d.join("run");
    assert!(
        !run.join("report.html").exists(),
        "--no-report wrote a report"
    );
    // A killed run: no summary, the manifest still says running, a torn last line.
    std::fs::remove_file(run.join("summary.json")).unwrap();
    let manifest = std::fs::read_to_string(run.join("manifest.json"))
        .unwrap()
        .replace("\"complete\"", "\"running\"");
    std::fs::write(run.join("manifest.json"), manifest).unwrap();
    let journal = std::fs::read_to_string(run.join("requests.jsonl")).unwrap();
    let kept: Vec<&str> = journal.lines().take(300).collect();
    std::fs::write(
        run.join("requests.jsonl"),
        format!("{}\n{{\"index\":300,\"pha", kept.join("\n")),
    )
    .unwrap();
    let o = run_in(d, &["report", "run"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rebuilt from the journal"),
        "{}",
        stdout(&o)
    );
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        html.contains("rebuilt from the 300 requests in its journal"),
        "{html}"
    );
    assert!(html.contains("1 line(s) of requests.jsonl could not be read"));
    plots_present(&run, &RUN_CHARTS);
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(md.contains("Concurrent Requests: 8"), "{md}");

    // Nothing to read: a clear error.
    let o = run_in(d, &["report", "nowhere"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no such directory"), "{}", stderr(&o));
}

#[tokio::test]
async fn compare_is_a_ci_gate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The same load on an A10 and an L20: the L20 is faster.
    for (gpu, out) in [("l20", "before"), ("a10", "after")] {
        let o = run_in(
            d,
            &with_engine(
                gpu,
                &[
                    "--concurrency",
                    "16",
                    "-n",
                    "800",
                    "--no-report",
                    "--out",
                    out,
                ],
            ),
        )
        .await;
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run_in(
        d,
        &["compare", "before", "after", "--fail-if", "p95(e2e) > +10%"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("FAIL p95(e2e) > +10%"),
        "{}",
        stderr(&o)
    );
    // Backwards, the candidate is faster: the gate passes.
    let o = run_in(
        d,
        &["compare", "after", "before", "--fail-if", "p95(e2e) > +10%"],
    )
    .await;
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    // A result against itself: no difference, nothing significant.
    let o = run_in(
        d,
        &["compare", "before", "before", "--fail-if", "p95(e2e) > +1%"],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("within noise"), "{}", stdout(&o));
    // A gate with nothing to judge fails rather than passing silently.
    let o = run_in(
        d,
        &["compare", "after", "before", "--fail-if", "capacity < -10%"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("no data to judge"), "{}", stderr(&o));
    // A bad gate is a usage error that points at the mistake.
    let o = run_in(
        d,
        &["compare", "before", "after", "--fail-if", "p95(e2e) > +10"],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("^"), "{}", stderr(&o));
    let mut c = headroom();
    let o = c
        .current_dir(d)
        .args(["compare", "before"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "one directory is not a comparison"
    );
}

/// Hides what changes from machine to machine: times, paths, host, version.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    for (re, with) in headroom_testkit::redactions() {
        s.add_filter(re, with);
    }
    s.add_filter(r"\S*/headroom(\s)", "headroom$1");
    s.add_filter(r"\| Tool \| .* \|", "| Tool | [TOOL] |");
    s.add_filter(
        r"\| Load generator host \| .* \|",
        "| Load generator host | [HOST] |",
    );
    s.add_filter(
        r"Generated by headroom \S+",
        "Generated by headroom [VERSION]",
    );
    s
}

#[tokio::test]
async fn snapshots_of_the_markdown_report_and_of_compare() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (gpu, out) in [("a10", "a10"), ("l20", "l20")] {
        let label = format!("gpu={}", gpu.to_uppercase());
        let o = run_in(
            d,
            &with_engine(
                gpu,
                &[
                    "--concurrency",
                    "12",
                    "-n",
                    "300",
                    "--seed",
                    "7",
                    "--label",
                    &label,
                    "--out",
                    out,
                ],
            ),
        )
        .await;
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let md = std::fs::read_to_string(d.join("a10/report.md")).unwrap();
    let o = run_in(
        d,
        &[
            "compare", "a10", "l20", "--price", "a10=1.01", "--price", "l20=1.10",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let console = stdout(&o);
    let o = run_in(
        d,
        &[
            "compare",
            "a10",
            "l20",
            "--format",
            "markdown",
            "--fail-if",
            "p95(e2e) > +10%",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let compare_md = stdout(&o);
    settings().bind(|| {
        insta::assert_snapshot!("run_report_md", md);
        insta::assert_snapshot!("compare_console", console);
        insta::assert_snapshot!("compare_md", compare_md);
    });
}
