//! Render thread: a fixed-capacity generational arena; no allocation after `with_capacity`.

use crate::control::NodeId;

#[derive(Debug)]
struct Entry<T> {
    generation: u16,
    value: Option<T>,
}

/// Slots with generations: O(1) insert and remove; a stale id finds nothing, never the
/// wrong value. Freed slots are reused last-freed first, so two arenas given the same
/// inserts and removes hand out the same ids (the control and render sides rely on it).
#[derive(Debug)]
pub struct Arena<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u16>,
    len: usize,
}

impl<T> Arena<T> {
    /// An arena for at most `capacity` (≤ 65 536) live values, allocated now and never grown.
    pub fn with_capacity(capacity: usize) -> Self {
        assert!(
            capacity <= 1 << 16,
            "arena capacity is limited to 65 536 slots"
        );
        let entries = (0..capacity)
            .map(|_| Entry {
                generation: 0,
                value: None,
            })
            .collect();
        let free = (0..capacity as u32).rev().map(|i| i as u16).collect();
        Self {
            entries,
            free,
            len: 0,
        }
    }

    /// Stores `value`; when full, gives it back.
    pub fn insert(&mut self, value: T) -> Result<NodeId, T> {
        let Some(index) = self.free.pop() else {
            return Err(value);
        };
        let entry = &mut self.entries[usize::from(index)];
        entry.value = Some(value);
        self.len += 1;
        Ok(NodeId {
            index,
            generation: entry.generation,
        })
    }

    pub fn remove(&mut self, id: NodeId) -> Option<T> {
        let entry = self.entries.get_mut(usize::from(id.index))?;
        if entry.generation != id.generation {
            return None;
        }
        let value = entry.value.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(id.index);
        self.len -= 1;
        Some(value)
    }

    pub fn get(&self, id: NodeId) -> Option<&T> {
        let entry = self.entries.get(usize::from(id.index))?;
        if entry.generation == id.generation {
            entry.value.as_ref()
        } else {
            None
        }
    }

    pub fn get_mut(&mut self, id: NodeId) -> Option<&mut T> {
        let entry = self.entries.get_mut(usize::from(id.index))?;
        if entry.generation == id.generation {
            entry.value.as_mut()
        } else {
            None
        }
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.get(id).is_some()
    }

    /// The value in slot `index`, whatever its generation.
    pub fn get_index(&self, index: usize) -> Option<&T> {
        self.entries.get(index).and_then(|e| e.value.as_ref())
    }

    pub fn get_index_mut(&mut self, index: usize) -> Option<&mut T> {
        self.entries.get_mut(index).and_then(|e| e.value.as_mut())
    }

    /// The live id of slot `index`.
    pub fn id_at(&self, index: usize) -> Option<NodeId> {
        let entry = self.entries.get(index)?;
        entry.value.as_ref().map(|_| NodeId {
            index: index as u16,
            generation: entry.generation,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_id_finds_nothing_after_slot_reuse() {
        let mut arena = Arena::with_capacity(2);
        let a = arena.insert("a").unwrap();
        assert_eq!(arena.remove(a), Some("a"));
        let b = arena.insert("b").unwrap();
        assert_eq!(a.index, b.index, "slot is reused");
        assert_ne!(a.generation, b.generation);
        assert_eq!(arena.get(a), None);
        assert_eq!(arena.remove(a), None);
        assert_eq!(arena.get(b), Some(&"b"));
    }

    #[test]
    fn full_arena_gives_the_value_back() {
        let mut arena = Arena::with_capacity(1);
        arena.insert(1).unwrap();
        assert_eq!(arena.insert(2), Err(2));
        assert_eq!(arena.len(), 1);
    }

    #[test]
    fn same_operations_give_same_ids() {
        let mut a = Arena::with_capacity(8);
        let mut b = Arena::with_capacity(8);
        let mut ids = Vec::new();
        for i in 0..5 {
            let x = a.insert(i).unwrap();
            assert_eq!(x, b.insert(i).unwrap());
            ids.push(x);
        }
        a.remove(ids[1]);
        b.remove(ids[1]);
        a.remove(ids[3]);
        b.remove(ids[3]);
        assert_eq!(a.insert(9).unwrap(), b.insert(9).unwrap());
    }
}
