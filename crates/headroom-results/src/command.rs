//! The command line as results store it: API keys and header values hidden, so a results
//! directory can be shared. `--resume` re-reads it, and asks for what was hidden.

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

#[cfg(test)]
mod tests {
    use super::*;

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
