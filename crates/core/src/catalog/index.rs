//! An index of a catalog list's ids: (id, position) pairs sorted by id, for lookups by
//! binary search and for finding ids that appear twice. (A sorted `Vec` rather than a
//! hash map: lists are small, and it keeps hashing code out of the .wasm.)

/// The ids of one catalog list with their positions, sorted by id (equal ids in list order).
#[derive(Debug, Clone, Default)]
pub(super) struct IdIndex(Vec<(String, usize)>);

impl IdIndex {
    /// Indexes `ids` (in list order).
    pub(super) fn new<'a>(ids: impl Iterator<Item = &'a str>) -> IdIndex {
        IdIndex::of(ids.enumerate().map(|(i, id)| (id.to_string(), i)).collect())
    }

    #[inline(never)]
    fn of(mut pairs: Vec<(String, usize)>) -> IdIndex {
        crate::sort::sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
        IdIndex(pairs)
    }

    /// The position of the first entry with id `id`.
    pub(super) fn get(&self, id: &str) -> Option<usize> {
        let at = self.0.partition_point(|(k, _)| k.as_str() < id);
        self.0.get(at).filter(|(k, _)| k == id).map(|&(_, i)| i)
    }

    /// Whether some entry has id `id`.
    pub(super) fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The first position (in list order) whose id an earlier entry already has.
    pub(super) fn first_repeat(&self) -> Option<usize> {
        self.0
            .windows(2)
            .filter_map(|w| match w {
                [(a, _), (b, i)] if a == b => Some(*i),
                _ => None,
            })
            .min()
    }
}
