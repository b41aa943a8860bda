//! Prints the calibration table of docs/simulator.md.
use headroom_sim::calibration::{points, table};
use headroom_sim::catalog::Catalog;
use std::io::Write;

fn main() -> std::io::Result<()> {
    let p = points(&Catalog::builtin());
    std::io::stdout().write_all(table(&p).as_bytes())
}
