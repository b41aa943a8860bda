//! The command line as results store it: API keys and header values hidden, so a results
//! directory can be shared. `--resume` re-reads it ([`saved`]), and asks for what was
//! hidden.

use crate::plan::PlanKind;
use std::path::{Path, PathBuf};

/// What a stored command line shows in place of a secret.
pub const HIDDEN: &str = "***";

/// This process's command line with secrets hidden.
pub fn redacted_argv() -> Vec<String> {
    redact(std::env::args())
}

/// `args` with the values of `--api-key` and of `-H`/`--header` hidden (a header keeps
/// its name).
pub fn redact(args: impl IntoIterator<Item = String>) -> Vec<String> {
    #[derive(Clone, Copy)]
    enum Next {
        Key,
        Header,
    }
    let header = |v: &str| format!("{}:{HIDDEN}", v.split(':').next().unwrap_or(""));
    let mut out = Vec::new();
    let mut hide_next: Option<Next> = None;
    for a in args {
        if let Some(next) = hide_next.take() {
            out.push(match next {
                Next::Header => header(&a),
                Next::Key => HIDDEN.into(),
            });
            continue;
        }
        match a.as_str() {
            "--api-key" => hide_next = Some(Next::Key),
            "-H" | "--header" => hide_next = Some(Next::Header),
            _ => {}
        }
        if a.starts_with("--api-key=") {
            out.push(format!("--api-key={HIDDEN}"));
        } else if let Some(v) = a.strip_prefix("--header=") {
            out.push(format!("--header={}", header(v)));
        } else {
            out.push(a);
        }
    }
    out
}

/// A stored command line that cannot be run again as it is: it held a header whose value
/// was hidden.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved command has a header whose value headroom did not store ({0})")]
pub struct HiddenValue(pub String);

/// A stored command line made runnable again: `--api-key` is dropped (the environment's
/// `HEADROOM_API_KEY` / `OPENAI_API_KEY` apply instead); a hidden header value cannot be
/// recovered and is an error.
pub fn runnable(saved: Vec<String>) -> Result<Vec<String>, HiddenValue> {
    let mut command = Vec::new();
    let mut skip = false;
    for a in saved {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--api-key" {
            skip = true;
            continue;
        }
        if a.starts_with("--api-key=") {
            continue;
        }
        if a.contains(HIDDEN) {
            return Err(HiddenValue(a));
        }
        command.push(a);
    }
    Ok(command)
}

/// Why the command saved in a plan's directory cannot be run again.
#[derive(Debug, thiserror::Error)]
pub enum SavedCommandError {
    /// The directory has no plan file of that kind.
    #[error(
        "nothing to resume in {}: it has no {file} (is it the results directory of a {command}?)",
        dir.display()
    )]
    Missing {
        /// The directory given.
        dir: PathBuf,
        /// The plan file looked for.
        file: &'static str,
        /// The command that writes it.
        command: &'static str,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The plan file is not one headroom wrote.
    #[error("{} is not a headroom {file}", path.display())]
    NotAPlanFile {
        /// The file.
        path: PathBuf,
        /// Its expected name.
        file: &'static str,
        /// What is wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// The command held a hidden header value.
    #[error(
        "{hidden}; run the command again with --out {dir} --resume {dir} instead",
        dir = dir.display()
    )]
    Hidden {
        /// The argument that was hidden.
        hidden: HiddenValue,
        /// The directory given.
        dir: PathBuf,
    },
}

/// The command line saved in the plan file of `dir` (a sweep's or a search's), made
/// runnable again (see [`runnable`]): what `--resume DIR` continues with.
pub fn saved(dir: &Path, kind: PlanKind) -> Result<Vec<String>, SavedCommandError> {
    let file = kind.file();
    let path = dir.join(file);
    let bytes = std::fs::read(&path).map_err(|source| SavedCommandError::Missing {
        dir: dir.to_path_buf(),
        file,
        command: kind.command(),
        source,
    })?;
    #[derive(serde::Deserialize)]
    struct Saved {
        command: Vec<String>,
    }
    let saved: Saved =
        serde_json::from_slice(&bytes).map_err(|source| SavedCommandError::NotAPlanFile {
            path: path.clone(),
            file,
            source,
        })?;
    runnable(saved.command).map_err(|hidden| SavedCommandError::Hidden {
        hidden,
        dir: dir.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_command_is_read_back_runnable_or_says_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let e = saved(dir.path(), PlanKind::Capacity).unwrap_err();
        assert!(
            e.to_string().starts_with("nothing to resume in")
                && e.to_string()
                    .ends_with("(is it the results directory of a capacity?)"),
            "{e}"
        );
        let file = dir.path().join(PlanKind::Sweep.file());
        std::fs::write(&file, "{}").unwrap();
        let e = saved(dir.path(), PlanKind::Sweep).unwrap_err();
        assert!(matches!(e, SavedCommandError::NotAPlanFile { .. }), "{e}");
        std::fs::write(
            &file,
            r#"{"command": ["headroom", "sweep", "--api-key", "sk", "--rate", "1,2"]}"#,
        )
        .unwrap();
        assert_eq!(
            saved(dir.path(), PlanKind::Sweep).unwrap(),
            ["headroom", "sweep", "--rate", "1,2"]
        );
        let hidden = format!(r#"{{"command": ["headroom", "sweep", "-H", "X: {HIDDEN}"]}}"#);
        std::fs::write(&file, hidden).unwrap();
        let e = saved(dir.path(), PlanKind::Sweep).unwrap_err();
        assert!(e.to_string().contains("instead"), "{e}");
    }

    #[test]
    fn secrets_are_redacted() {
        let v = redact(
            [
                "headroom",
                "run",
                "--api-key",
                "sk-1",
                "-H",
                "Authorization: Bearer x",
                "--api-key=sk-2",
                "--header=X-K:v",
            ]
            .map(String::from),
        );
        assert_eq!(
            v,
            [
                "headroom",
                "run",
                "--api-key",
                "***",
                "-H",
                "Authorization:***",
                "--api-key=***",
                "--header=X-K:***"
            ]
        );
    }

    #[test]
    fn a_stored_command_runs_again_without_its_secrets() {
        let stored = redact(["headroom", "sweep", "--api-key", "sk", "-c", "1"].map(String::from));
        assert_eq!(runnable(stored).unwrap(), ["headroom", "sweep", "-c", "1"]);
        let stored = redact(["headroom", "sweep", "-H", "X-K: v"].map(String::from));
        assert_eq!(runnable(stored).unwrap_err(), HiddenValue("X-K:***".into()));
    }
}
