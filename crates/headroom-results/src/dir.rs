//! Creating results directories, naming them, and keeping interrupted runs aside. Nothing
//! here ever deletes or overwrites results.

use crate::files::MANIFEST;
use crate::manifest::rfc3339;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Why a results directory could not be created.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// `--out` names a directory that already holds results.
    #[error(
        "{} already holds a run; choose another --out or remove it (headroom never overwrites results)",
        .0.display()
    )]
    HoldsRun(PathBuf),
    /// `--out` of a sweep or search names a directory that already holds results.
    #[error(
        "{} already holds results; choose another --out, or continue it with --resume {}",
        .0.display(),
        .0.display()
    )]
    HoldsResults(PathBuf),
    /// The file system refused.
    #[error("cannot {what} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
}

/// A run id from a wall-clock time: `YYYYMMDD-HHMMSS` in UTC.
pub fn run_id(t: SystemTime) -> String {
    let s = rfc3339(t); // 2026-11-22T10:15:00.123456Z
    let digits: String = s.chars().filter(char::is_ascii_digit).take(14).collect();
    let split = 8.min(digits.len());
    format!("{}-{}", &digits[..split], &digits[split..])
}

/// `base/<id>`, or `base/<id>-2`, `-3`, … when that exists already.
pub fn fresh_dir(base: &Path, id: &str) -> PathBuf {
    let mut d = base.join(id);
    let mut n = 1;
    while d.exists() {
        n += 1;
        d = base.join(format!("{id}-{n}"));
    }
    d
}

fn create(dir: &Path) -> Result<(), DirError> {
    std::fs::create_dir_all(dir).map_err(|source| DirError::Io {
        what: "create the results directory",
        path: dir.to_path_buf(),
        source,
    })
}

/// Creates the directory of one run: `out` if given (it must not hold a run already),
/// else a fresh `results/<run-id>` named after `now`.
pub fn create_run_dir(out: Option<&Path>, now: SystemTime) -> Result<PathBuf, DirError> {
    let dir = match out {
        Some(d) if d.join(MANIFEST).exists() => return Err(DirError::HoldsRun(d.to_path_buf())),
        Some(d) => d.to_path_buf(),
        None => fresh_dir(Path::new("results"), &run_id(now)),
    };
    create(&dir)?;
    Ok(dir)
}

/// Creates the directory of a sweep or capacity search: `out` if given (it must hold
/// neither a plan file named `plan_file` nor a run), else a fresh `results/<run-id>`.
pub fn create_plan_dir(
    out: Option<&Path>,
    plan_file: &str,
    now: SystemTime,
) -> Result<PathBuf, DirError> {
    if let Some(d) = out
        && (d.join(plan_file).exists() || d.join(MANIFEST).exists())
    {
        return Err(DirError::HoldsResults(d.to_path_buf()));
    }
    let dir = match out {
        Some(d) => d.to_path_buf(),
        None => fresh_dir(Path::new("results"), &run_id(now)),
    };
    create(&dir)?;
    Ok(dir)
}

/// Moves an interrupted run out of the way, to `<dir>.interrupted` (or
/// `.interrupted-2`, …), and returns where it went. Results are never deleted.
pub fn set_aside(dir: &Path) -> Result<PathBuf, DirError> {
    let name = dir
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let mut n = 1;
    let target = loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let t = dir.with_file_name(format!("{name}.interrupted{suffix}"));
        if !t.exists() {
            break t;
        }
        n += 1;
    };
    std::fs::rename(dir, &target).map_err(|source| DirError::Io {
        what: "move aside",
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn run_ids_are_timestamps() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(run_id(t), "20261118-110640");
    }

    #[test]
    fn fresh_dirs_never_collide() {
        let d = tempfile::tempdir().unwrap();
        let a = fresh_dir(d.path(), "x");
        std::fs::create_dir(&a).unwrap();
        let b = fresh_dir(d.path(), "x");
        assert_eq!(b, d.path().join("x-2"));
    }

    #[test]
    fn a_run_directory_is_never_reused_and_interrupted_runs_are_kept() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("o");
        let now = SystemTime::now();
        create_run_dir(Some(&out), now).unwrap();
        std::fs::write(out.join(MANIFEST), "{}").unwrap();
        assert!(matches!(
            create_run_dir(Some(&out), now),
            Err(DirError::HoldsRun(_))
        ));
        assert!(matches!(
            create_plan_dir(Some(&out), "sweep.json", now),
            Err(DirError::HoldsResults(_))
        ));
        let first = set_aside(&out).unwrap();
        assert_eq!(first, d.path().join("o.interrupted"));
        std::fs::create_dir(&out).unwrap();
        assert_eq!(set_aside(&out).unwrap(), d.path().join("o.interrupted-2"));
        assert!(first.join(MANIFEST).exists());
    }
}
