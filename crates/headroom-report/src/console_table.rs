//! The one look of every table headroom prints on a terminal: comfy-table's condensed
//! UTF-8 borders, no wrapping (a table keeps its width however narrow the terminal, so
//! that a copied table stays intact), numbers aligned right.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Row, Table};

/// An empty table with headroom's style and the column headings `head`.
pub fn new(head: impl Into<Row>) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(head);
    table
}

/// Aligns `columns` (by index) to the right; columns the table does not have are
/// skipped.
pub fn align_right(table: &mut Table, columns: impl IntoIterator<Item = usize>) {
    for i in columns {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}
