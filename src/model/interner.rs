//! Interned topic segments: each distinct level name is stored once.

use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Index of an interned segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId(u32);

/// Stores each distinct topic level once and hands out small ids for it.
#[derive(Debug, Default)]
pub struct Interner {
    ids: FxHashMap<Arc<str>, SegmentId>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    /// The id of `segment`, interning it if it is new.
    pub fn intern(&mut self, segment: &str) -> SegmentId {
        if let Some(id) = self.ids.get(segment) {
            return *id;
        }
        // u32 ids: four billion distinct level names is far past any memory budget.
        let id = SegmentId(self.strings.len() as u32);
        let shared: Arc<str> = Arc::from(segment);
        self.strings.push(Arc::clone(&shared));
        self.ids.insert(shared, id);
        id
    }

    /// The id of `segment` if it was interned before.
    pub fn get(&self, segment: &str) -> Option<SegmentId> {
        self.ids.get(segment).copied()
    }

    /// The text of an interned segment.
    pub fn resolve(&self, id: SegmentId) -> &str {
        // Ids are only made by `intern`, so they always index `strings`.
        self.strings.get(id.0 as usize).map_or("", |s| s)
    }

    /// Number of distinct segments.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when nothing was interned yet.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_and_resolves_back() {
        let mut interner = Interner::default();
        let a = interner.intern("kitchen");
        let b = interner.intern("temp");
        assert_eq!(interner.intern("kitchen"), a);
        assert_ne!(a, b);
        assert_eq!(interner.resolve(a), "kitchen");
        assert_eq!(interner.resolve(b), "temp");
        assert_eq!(interner.get("temp"), Some(b));
        assert_eq!(interner.get("nope"), None);
        assert_eq!(interner.len(), 2);
    }

    #[test]
    fn empty_segment_is_a_segment() {
        let mut interner = Interner::default();
        let empty = interner.intern("");
        assert_eq!(interner.resolve(empty), "");
        assert_eq!(interner.len(), 1);
    }
}
