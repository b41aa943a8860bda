//! Prints the calibration table of docs/simulator.md.
use headroom_sim::calibration::{points, table};
use headroom_sim::catalog::Catalog;

fn main() {
    let p = points(&Catalog::builtin());
    print!("{}", table(&p));
}
