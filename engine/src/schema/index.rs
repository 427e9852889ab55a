//! Finding a table in a list by name without scanning the list.

use std::collections::HashMap;

use super::Table;

/// The position of each table of a list by name. Reflection looks a table up for every
/// catalog row, and a run for every operation; scanning the list each time would make
/// both quadratic in the number of tables.
///
/// An index describes one list. Lookups check what they find, and a list whose length
/// differs from the index's is scanned, so an index that fell behind its list is slow,
/// never wrong about a table it finds; a list that is changed without the index (other
/// than by [`TableIndex::pushed`], [`TableIndex::removed`] and [`TableIndex::renamed`])
/// must be indexed again.
#[derive(Debug, Clone)]
pub struct TableIndex {
    by_name: HashMap<String, usize>,
    /// The length of the list described; `None` for an index of no list, whose
    /// lookups scan.
    len: Option<usize>,
}

impl Default for TableIndex {
    /// The index of an empty list.
    fn default() -> Self {
        TableIndex::new(&[])
    }
}

impl TableIndex {
    /// Indexes `tables`.
    pub fn new(tables: &[Table]) -> TableIndex {
        let mut by_name = HashMap::with_capacity(tables.len());
        for (i, t) in tables.iter().enumerate() {
            by_name.entry(t.name.clone()).or_insert(i);
        }
        TableIndex {
            by_name,
            len: Some(tables.len()),
        }
    }

    /// An index of no list: every lookup scans.
    pub fn none() -> TableIndex {
        TableIndex {
            by_name: HashMap::new(),
            len: None,
        }
    }

    /// The position of the table called `name` in `tables`, the list this index
    /// describes.
    pub fn position(&self, tables: &[Table], name: &str) -> Option<usize> {
        if self.len == Some(tables.len()) {
            match self.by_name.get(name) {
                None => return None,
                Some(&at) if tables.get(at).is_some_and(|t| t.name == name) => return Some(at),
                Some(_) => {}
            }
        }
        tables.iter().position(|t| t.name == name)
    }

    /// The table called `name` in `tables`, the list this index describes.
    pub fn get<'t>(&self, tables: &'t mut [Table], name: &str) -> Option<&'t mut Table> {
        let at = self.position(tables, name)?;
        tables.get_mut(at)
    }

    /// Notes that a table was added at the end of `tables`.
    pub fn pushed(&mut self, tables: &[Table]) {
        match (self.len, tables.last()) {
            (None, _) => {}
            (Some(len), Some(last)) if len + 1 == tables.len() => {
                self.by_name.entry(last.name.clone()).or_insert(len);
                self.len = Some(tables.len());
            }
            _ => *self = TableIndex::new(tables),
        }
    }

    /// Notes that the table called `name`, which was at position `at`, was removed
    /// from `tables`.
    pub fn removed(&mut self, name: &str, at: Option<usize>, tables: &[Table]) {
        match (self.len, at) {
            (None, _) => {}
            // The last table: no other moved.
            (Some(len), Some(at)) if at + 1 == len && tables.len() + 1 == len => {
                self.by_name.remove(name);
                self.len = Some(tables.len());
            }
            _ => *self = TableIndex::new(tables),
        }
    }

    /// Notes that the table at position `at` was renamed from `old` to `new`.
    pub fn renamed(&mut self, old: &str, new: &str, at: Option<usize>, tables: &[Table]) {
        match (self.len, at) {
            (None, _) => {}
            (Some(len), Some(at)) if len == tables.len() => {
                self.by_name.remove(old);
                self.by_name.insert(new.to_string(), at);
            }
            _ => *self = TableIndex::new(tables),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> Table {
        Table {
            name: name.into(),
            ..Default::default()
        }
    }

    fn names(list: &[&str]) -> Vec<Table> {
        list.iter().map(|n| table(n)).collect()
    }

    #[test]
    fn follows_pushes_removals_and_renames() {
        let mut tables = names(&["a", "b"]);
        let mut index = TableIndex::new(&tables);
        assert_eq!(index.position(&tables, "b"), Some(1));
        assert_eq!(index.position(&tables, "c"), None);
        tables.push(table("c"));
        index.pushed(&tables);
        assert_eq!(index.position(&tables, "c"), Some(2));
        // Removing the last table; then one in the middle.
        tables.pop();
        index.removed("c", Some(2), &tables);
        assert_eq!(index.position(&tables, "c"), None);
        tables.remove(0);
        index.removed("a", Some(0), &tables);
        assert_eq!(index.position(&tables, "b"), Some(0));
        assert_eq!(index.position(&tables, "a"), None);
        tables[0].name = "z".into();
        index.renamed("b", "z", Some(0), &tables);
        assert_eq!(index.position(&tables, "z"), Some(0));
        assert_eq!(index.position(&tables, "b"), None);
    }

    #[test]
    fn a_list_changed_behind_its_back_is_scanned() {
        let mut tables = names(&["a", "b", "c"]);
        let index = TableIndex::new(&tables);
        tables.remove(0);
        assert_eq!(index.position(&tables, "c"), Some(1));
        tables.push(table("d"));
        // Same length again: what it finds is checked.
        assert_eq!(index.position(&tables, "b"), Some(0));
        assert_eq!(index.position(&tables, "c"), Some(1));
        let none = TableIndex::none();
        assert_eq!(none.position(&tables, "d"), Some(2));
    }
}
