//! The timer heap: a binary min-heap on (deadline, sequence) with O(log n)
//! removal, over a slab that gives each timer a stable id.
//!
//! Cancelling removes the entry at once, so neither the heap nor the slab
//! grows with cancelled timers; a slab slot is reused under a new generation,
//! so an old id never cancels the timer that reused its slot.
//!
//! A new timer waits outside the heap until `admit` (called as a cycle
//! begins): a timer scheduled during a cycle never fires in it, and, kept
//! out of the heap, it cannot hide the timers that are due in it (an
//! `after(0)` from a callback would otherwise sit at the root, in front of
//! older due timers, and stop the cycle from reaching them).

pub type TimerId = u64;

struct Slot<T> {
    generation: u32,
    /// Position in `heap`, or `NEW | index` in `new` before `admit`.
    pos: u32,
    payload: Option<T>,
}

#[derive(Clone, Copy)]
struct Node {
    deadline: u64,
    seq: u64,
    slot: u32,
}

impl Node {
    fn key(&self) -> (u64, u64) {
        (self.deadline, self.seq)
    }
}

/// Marks a slot position as an index into `new`.
const NEW: u32 = 1 << 31;

pub struct TimerHeap<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    heap: Vec<Node>,
    /// Timers inserted since the last `admit`.
    new: Vec<Node>,
    next_seq: u64,
}

impl<T> Default for TimerHeap<T> {
    fn default() -> Self {
        TimerHeap {
            slots: Vec::new(),
            free: Vec::new(),
            heap: Vec::new(),
            new: Vec::new(),
            next_seq: 0,
        }
    }
}

impl<T> TimerHeap<T> {
    pub fn len(&self) -> usize {
        self.heap.len() + self.new.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the timers inserted since the last call into the heap: from
    /// now on they can be due.
    pub fn admit(&mut self) {
        if self.new.is_empty() {
            return;
        }
        // Taken and put back, so its buffer serves the next cycle too.
        let mut new = std::mem::take(&mut self.new);
        for node in new.drain(..) {
            self.heap.push(node);
            self.sift_up(self.heap.len() - 1);
        }
        self.new = new;
    }

    /// The earliest deadline of an admitted timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.heap.first().map(|n| n.deadline)
    }

    pub fn insert(&mut self, deadline: u64, payload: T) -> TimerId {
        let slot = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    pos: 0,
                    payload: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let s = &mut self.slots[slot as usize];
        s.generation = s.generation.wrapping_add(1).max(1);
        s.payload = Some(payload);
        let id = (u64::from(s.generation) << 32) | u64::from(slot);
        let seq = self.next_seq;
        self.next_seq += 1;
        s.pos = NEW | self.new.len() as u32;
        self.new.push(Node {
            deadline,
            seq,
            slot,
        });
        id
    }

    /// Removes a pending timer; None for an unknown, fired or cancelled id.
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        let slot = (id & 0xffff_ffff) as usize;
        let generation = (id >> 32) as u32;
        let s = self.slots.get(slot)?;
        if s.generation != generation || s.payload.is_none() {
            return None;
        }
        if s.pos & NEW != 0 {
            let i = (s.pos & !NEW) as usize;
            let node = self.new.swap_remove(i);
            if let Some(moved) = self.new.get(i) {
                self.slots[moved.slot as usize].pos = NEW | i as u32;
            }
            return Some(self.release(node));
        }
        let pos = s.pos as usize;
        Some(self.remove_at(pos))
    }

    /// Pops the earliest admitted timer if it is due at `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<T> {
        let root = self.heap.first()?;
        if root.deadline > now {
            return None;
        }
        Some(self.remove_at(0))
    }

    /// Removes every pending timer (for tearing a loop down).
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.heap.clear();
        self.new.clear();
        self.free.clear();
        self.slots.drain(..).filter_map(|s| s.payload)
    }

    fn remove_at(&mut self, pos: usize) -> T {
        let node = self.heap.swap_remove(pos);
        if pos < self.heap.len() {
            self.place(pos);
            self.sift_down(pos);
            self.sift_up(pos);
        }
        self.release(node)
    }

    fn release(&mut self, node: Node) -> T {
        self.free.push(node.slot);
        self.slots[node.slot as usize]
            .payload
            .take()
            .expect("a heap node always has a payload")
    }

    fn place(&mut self, pos: usize) {
        let slot = self.heap[pos].slot as usize;
        self.slots[slot].pos = pos as u32;
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.heap[parent].key() <= self.heap[pos].key() {
                break;
            }
            self.heap.swap(parent, pos);
            self.place(pos);
            pos = parent;
        }
        self.place(pos);
    }

    fn sift_down(&mut self, mut pos: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.heap[right].key() < self.heap[left].key() {
                right
            } else {
                left
            };
            if self.heap[pos].key() <= self.heap[child].key() {
                break;
            }
            self.heap.swap(pos, child);
            self.place(pos);
            pos = child;
        }
        self.place(pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_then_insertion_order() {
        let mut h = TimerHeap::default();
        h.insert(30, 'c');
        h.insert(10, 'a');
        h.insert(10, 'b');
        h.insert(20, 'x');
        h.admit();
        let mut out = vec![];
        while let Some(v) = h.pop_due(100) {
            out.push(v);
        }
        assert_eq!(out, vec!['a', 'b', 'x', 'c']);
    }

    #[test]
    fn cancel_removes_and_stale_ids_fail() {
        let mut h = TimerHeap::default();
        let a = h.insert(5, 1);
        let b = h.insert(6, 2);
        assert_eq!(h.cancel(a), Some(1));
        assert_eq!(h.cancel(a), None);
        let c = h.insert(7, 3); // reuses a's slot with a new generation
        assert_ne!(a, c);
        assert_eq!(h.cancel(a), None);
        assert_eq!(h.len(), 2);
        h.admit();
        assert_eq!(h.pop_due(10), Some(2));
        assert_eq!(h.cancel(b), None);
        assert_eq!(h.pop_due(10), Some(3));
        assert!(h.is_empty());
    }

    #[test]
    fn new_timers_wait_for_admit_and_hide_no_due_timer() {
        let mut h = TimerHeap::default();
        h.insert(2, 'a');
        h.insert(3, 'c');
        h.admit();
        // A callback of the cycle schedules an earlier timer, and cancels
        // one it scheduled: the due timers still come out, in order.
        h.insert(0, 'b');
        let x = h.insert(0, 'x');
        assert_eq!(h.cancel(x), Some('x'));
        assert_eq!(h.pop_due(5), Some('a'));
        assert_eq!(h.pop_due(5), Some('c'));
        assert_eq!(h.pop_due(5), None);
        assert_eq!(h.len(), 1);
        h.admit();
        assert_eq!(h.pop_due(5), Some('b'));
        assert!(h.is_empty());
    }

    #[test]
    fn random_cancel_keeps_heap_order() {
        let mut h = TimerHeap::default();
        let mut ids = vec![];
        let mut x: u64 = 12345;
        for i in 0..5000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ids.push((h.insert(x >> 40, i), i));
            if i == 2500 {
                h.admit(); // cancel from both the heap and the new timers
            }
        }
        for (n, (id, _)) in ids.iter().enumerate() {
            if n % 2 == 0 {
                assert!(h.cancel(*id).is_some());
            }
        }
        assert_eq!(h.len(), 2500);
        h.admit();
        let mut last = 0;
        while let Some(d) = h.next_deadline() {
            assert!(d >= last);
            last = d;
            h.pop_due(u64::MAX).unwrap();
        }
    }
}
