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
}
