//! `headroom predict [FLAGS] sweep|capacity [FLAGS]`: the workload, load and output flags
//! a user writes before the subcommand are moved after it, where the sweep or search
//! reads them, so a flag means the same wherever it is given. Only the simulated
//! engine's flags belong to `predict` itself. Which flags take a value comes from clap's
//! own definitions.

use crate::cli::{Cli, EngineArgs};
use clap::{Args as _, CommandFactory as _};
use std::ffi::OsString;

/// The subcommands of `predict`.
const PLANS: [&str; 2] = ["sweep", "capacity"];

/// `args` with `predict`'s non-engine flags moved after its `sweep`/`capacity`.
pub fn normalize<T: Into<OsString>>(args: impl IntoIterator<Item = T>) -> Vec<OsString> {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let text: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // The command is the first word that is not a (value-less) global flag.
    let Some(p) = text
        .iter()
        .skip(1)
        .position(|a| !a.starts_with('-'))
        .map(|i| i + 1)
    else {
        return args;
    };
    if text[p] != "predict" {
        return args;
    }
    let mut cli = Cli::command();
    // Building propagates the global flags (-v, -q) to the subcommands.
    cli.build();
    let Some(predict) = cli.find_subcommand("predict") else {
        return args;
    };
    let engine = EngineArgs::augment_args(clap::Command::new("engine"));
    let is_engine = |id: &str| engine.get_arguments().any(|a| a.get_id() == id);
    // Tokens of predict's own flags before the subcommand: (index, is an engine flag).
    let mut spans: Vec<(usize, bool)> = Vec::new();
    let mut i = p + 1;
    let sub = loop {
        let Some(t) = text.get(i) else {
            return args;
        };
        if t == "--" {
            return args;
        }
        if PLANS.contains(&t.as_str()) {
            break i;
        }
        let arg = if let Some(long) = t.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            predict
                .get_arguments()
                .find(|a| {
                    a.get_long() == Some(name)
                        || a.get_all_aliases().is_some_and(|v| v.contains(&name))
                })
                .map(|a| (a, !long.contains('=')))
        } else if let Some(short) = t.strip_prefix('-').and_then(|s| s.chars().next()) {
            predict
                .get_arguments()
                .find(|a| a.get_short() == Some(short))
                .map(|a| (a, t.chars().count() == 2))
        } else {
            None
        };
        let Some((arg, separate_value)) = arg else {
            // Not one of predict's flags: leave everything where it is for clap to judge.
            return args;
        };
        let engine_flag = is_engine(arg.get_id().as_str());
        spans.push((i, engine_flag));
        if separate_value && arg.get_action().takes_values() {
            i += 1;
            spans.push((i, engine_flag));
        }
        i += 1;
    };
    let moved: Vec<usize> = spans.iter().filter(|s| !s.1).map(|s| s.0).collect();
    if moved.is_empty() {
        return args;
    }
    let mut out: Vec<OsString> = (0..=p).map(|j| args[j].clone()).collect();
    out.extend(
        (p + 1..sub)
            .filter(|j| !moved.contains(j))
            .map(|j| args[j].clone()),
    );
    out.push(args[sub].clone());
    out.extend(moved.iter().map(|j| args[*j].clone()));
    out.extend(args[sub + 1..].iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(args: &str) -> String {
        normalize(args.split(' '))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn predict_flags_before_the_plan_move_after_it() {
        assert_eq!(
            n("headroom predict --gpu l20 --input-tokens 500 -q capacity --slo x"),
            "headroom predict --gpu l20 capacity --input-tokens 500 -q --slo x"
        );
        assert_eq!(
            n("headroom -v predict --ignore-eos --max-num-seqs 50 --out=o sweep -c 1,2"),
            "headroom -v predict --max-num-seqs 50 sweep --ignore-eos --out=o -c 1,2"
        );
    }

    #[test]
    fn everything_else_is_left_alone() {
        for a in [
            "headroom run --input-tokens 500",
            "headroom predict --gpu l20 --input-tokens 500",
            "headroom predict --gpu l20 capacity --slo x",
            "headroom predict --no-such-flag capacity",
        ] {
            assert_eq!(n(a), a);
        }
    }
}
