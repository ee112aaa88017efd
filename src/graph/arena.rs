//! Both sides: a fixed-capacity generational arena; one allocation, in `with_capacity`.

use super::NodeId;

const NO_SLOT: u32 = u32::MAX;

/// A slot and its generation; the generation sits beside the enum tag, so an entry is no
/// bigger than its value plus eight bytes.
#[derive(Debug)]
enum Entry<T> {
    Occupied {
        generation: u16,
        value: T,
    },
    /// A freed slot, linking to the next freed one.
    Free {
        generation: u16,
        next: u32,
    },
}

/// Slots with generations: O(1) insert and remove; a stale id finds nothing, never the
/// wrong value. Freed slots are reused last-freed first (an intrusive free list), and new
/// slots are taken in index order, so two arenas given the same inserts and removes hand out
/// the same ids (the control and render sides rely on it).
#[derive(Debug)]
pub struct Arena<T> {
    entries: Vec<Entry<T>>,
    capacity: usize,
    free_head: u32,
    live: usize,
}

impl<T> Arena<T> {
    /// An arena for at most `capacity` (≤ 65 536) live values. Its storage is reserved now and
    /// never grows past it.
    pub fn with_capacity(capacity: usize) -> Self {
        assert!(capacity <= 1 << 16, "arena capacity is limited to 65 536 slots");
        Self { entries: Vec::with_capacity(capacity), capacity, free_head: NO_SLOT, live: 0 }
    }

    /// Stores `value`; when full, gives it back.
    #[inline]
    pub fn insert(&mut self, value: T) -> Result<NodeId, T> {
        if self.free_head != NO_SLOT {
            let index = self.free_head as usize;
            let Entry::Free { generation, next } = self.entries[index] else {
                unreachable!("the free list links only free slots")
            };
            self.free_head = next;
            self.entries[index] = Entry::Occupied { generation, value };
            self.live += 1;
            return Ok(NodeId { index: index as u16, generation });
        }
        let index = self.entries.len();
        // The second test never fails (the storage was reserved for `capacity`), but it lets
        // the compiler drop `push`'s growth path, keeping the arena's fields in registers.
        if index == self.capacity || index == self.entries.capacity() {
            return Err(value);
        }
        self.entries.push(Entry::Occupied { generation: 0, value });
        self.live += 1;
        Ok(NodeId { index: index as u16, generation: 0 })
    }

    /// Stores `value` under exactly `id`, whose slot must be free: how the render side follows
    /// the ids the control side handed out. Usually `id` is the slot `insert` would take next,
    /// which costs the same; any other free slot is unlinked from the free list first.
    pub fn insert_at(&mut self, id: NodeId, value: T) -> Result<(), T> {
        let index = usize::from(id.index);
        if index >= self.capacity {
            return Err(value);
        }
        while self.entries.len() <= index {
            // Slots before `index` that were never used join the free list.
            let fresh = self.entries.len();
            self.entries.push(Entry::Free { generation: 0, next: self.free_head });
            self.free_head = fresh as u32;
        }
        if !matches!(self.entries[index], Entry::Free { .. }) {
            return Err(value);
        }
        let next_of = |entries: &[Entry<T>], at: u32| match entries[at as usize] {
            Entry::Free { next, .. } => next,
            Entry::Occupied { .. } => unreachable!("the free list links only free slots"),
        };
        let after = next_of(&self.entries, index as u32);
        if self.free_head == index as u32 {
            self.free_head = after;
        } else {
            let mut prev = self.free_head;
            while next_of(&self.entries, prev) != index as u32 {
                prev = next_of(&self.entries, prev);
            }
            if let Entry::Free { next, .. } = &mut self.entries[prev as usize] {
                *next = after;
            }
        }
        self.entries[index] = Entry::Occupied { generation: id.generation, value };
        self.live += 1;
        Ok(())
    }

    #[inline]
    pub fn remove(&mut self, id: NodeId) -> Option<T> {
        let index = usize::from(id.index);
        let entry = self.entries.get_mut(index)?;
        if !matches!(entry, Entry::Occupied { generation, .. } if *generation == id.generation) {
            return None;
        }
        let freed = Entry::Free { generation: id.generation.wrapping_add(1), next: self.free_head };
        let Entry::Occupied { value, .. } = core::mem::replace(entry, freed) else { unreachable!("checked above") };
        self.free_head = index as u32;
        self.live -= 1;
        Some(value)
    }

    #[inline]
    pub fn get(&self, id: NodeId) -> Option<&T> {
        match self.entries.get(usize::from(id.index)) {
            Some(Entry::Occupied { generation, value }) if *generation == id.generation => Some(value),
            _ => None,
        }
    }

    #[inline]
    pub fn get_mut(&mut self, id: NodeId) -> Option<&mut T> {
        match self.entries.get_mut(usize::from(id.index)) {
            Some(Entry::Occupied { generation, value }) if *generation == id.generation => Some(value),
            _ => None,
        }
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.get(id).is_some()
    }

    /// The value in slot `index`, whatever its generation.
    pub fn get_index(&self, index: usize) -> Option<&T> {
        match self.entries.get(index) {
            Some(Entry::Occupied { value, .. }) => Some(value),
            _ => None,
        }
    }

    /// The live id of slot `index`.
    pub fn id_at(&self, index: usize) -> Option<NodeId> {
        match self.entries.get(index) {
            Some(Entry::Occupied { generation, .. }) => Some(NodeId { index: index as u16, generation: *generation }),
            _ => None,
        }
    }

    /// Live values.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
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
        for id in [ids[1], ids[3]] {
            a.remove(id);
            b.remove(id);
        }
        for i in 0..4 {
            assert_eq!(a.insert(i).unwrap(), b.insert(i).unwrap());
        }
        assert_eq!(a.len(), 7);
    }

    #[test]
    fn insert_at_takes_any_free_slot_and_keeps_the_rest_usable() {
        let mut arena = Arena::with_capacity(8);
        let ids: Vec<_> = (0..4).map(|i| arena.insert(i).unwrap()).collect();
        arena.remove(ids[1]);
        arena.remove(ids[2]);
        let wanted = NodeId { index: ids[1].index, generation: 7 };
        arena.insert_at(wanted, 10).unwrap();
        assert_eq!(arena.get(wanted), Some(&10));
        assert!(arena.insert_at(wanted, 11).is_err(), "an occupied slot is refused");
        arena.insert_at(NodeId { index: 6, generation: 0 }, 12).unwrap();
        let mut rest: Vec<_> = (0..4).map(|i| arena.insert(i).unwrap().index).collect();
        rest.sort_unstable();
        assert_eq!(rest, [2, 4, 5, 7]);
        assert!(arena.insert(0).is_err());
    }

    #[test]
    fn never_grows_past_its_capacity() {
        let mut arena = Arena::with_capacity(64);
        let reserved = arena.entries.capacity();
        let ids: Vec<_> = (0..64).map(|i| arena.insert(i).unwrap()).collect();
        for id in ids.iter().step_by(2) {
            arena.remove(*id);
        }
        for i in 0..32 {
            arena.insert(i).unwrap();
        }
        assert!(arena.insert(0).is_err());
        assert_eq!(arena.entries.capacity(), reserved);
    }

    #[test]
    fn len_counts_live_values_through_every_kind_of_insert_and_remove() {
        let mut arena = Arena::with_capacity(8);
        let a = arena.insert('a').unwrap();
        let b = arena.insert('b').unwrap();
        arena.insert_at(NodeId { index: 5, generation: 0 }, 'c').unwrap();
        assert_eq!(arena.len(), 3);
        assert_eq!(arena.remove(a), Some('a'));
        assert_eq!(arena.remove(a), None, "a stale remove changes nothing");
        assert_eq!(arena.len(), 2);
        assert!(arena.insert_at(NodeId { index: 5, generation: 0 }, 'd').is_err());
        assert_eq!(arena.len(), 2, "a refused insert_at changes nothing");
        arena.remove(b);
        arena.remove(NodeId { index: 5, generation: 0 });
        assert!(arena.is_empty());
        let live = ('0'..'8').filter(|&c| arena.insert(c).is_ok()).count();
        assert_eq!((live, arena.len()), (8, 8));
        assert!(arena.insert('9').is_err());
        assert_eq!(arena.len(), 8, "a refused insert changes nothing");
    }
}
