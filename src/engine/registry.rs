//! The fd registry: at most one entry per file descriptor, each under a
//! generation so that an event or a handle that outlived its entry (a
//! replaced or cancelled watcher) is recognised as stale.
//!
//! A token packs (generation, fd); it is what epoll hands back with every
//! event, and what the Perl side keeps to name a watcher.

use std::os::fd::RawFd;

pub type Token = u64;

pub fn token_fd(token: Token) -> RawFd {
    (token & 0xffff_ffff) as RawFd
}

struct Entry<T> {
    generation: u32,
    value: T,
}

pub struct Registry<T> {
    entries: Vec<Option<Entry<T>>>,
    next_generation: u32,
    count: usize,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            entries: Vec::new(),
            next_generation: 1,
            count: 0,
        }
    }
}

impl<T> Registry<T> {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Puts `value` on `fd`, returning its token and whatever it replaced.
    pub fn insert(&mut self, fd: RawFd, value: T) -> (Token, Option<T>) {
        let i = fd as usize;
        if i >= self.entries.len() {
            self.entries.resize_with(i + 1, || None);
        }
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        let old = self.entries[i].replace(Entry { generation, value });
        if old.is_none() {
            self.count += 1;
        }
        (
            (u64::from(generation) << 32) | fd as u64,
            old.map(|e| e.value),
        )
    }

    fn entry(&self, token: Token) -> Option<&Entry<T>> {
        let e = self.entries.get(token_fd(token) as usize)?.as_ref()?;
        (u64::from(e.generation) == token >> 32).then_some(e)
    }

    pub fn get(&self, token: Token) -> Option<&T> {
        self.entry(token).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, token: Token) -> Option<&mut T> {
        self.entry(token)?;
        self.entries[token_fd(token) as usize]
            .as_mut()
            .map(|e| &mut e.value)
    }

    /// The entry on `fd` with its token, whatever its generation.
    pub fn on_fd(&self, fd: RawFd) -> Option<(Token, &T)> {
        let e = self.entries.get(fd as usize)?.as_ref()?;
        Some(((u64::from(e.generation) << 32) | fd as u64, &e.value))
    }

    pub fn remove(&mut self, token: Token) -> Option<T> {
        self.entry(token)?;
        self.count -= 1;
        self.entries[token_fd(token) as usize]
            .take()
            .map(|e| e.value)
    }

    /// Every entry with its token.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Token, &mut T)> + '_ {
        self.entries.iter_mut().enumerate().filter_map(|(fd, e)| {
            e.as_mut()
                .map(|e| ((u64::from(e.generation) << 32) | fd as u64, &mut e.value))
        })
    }

    /// Empties the registry (for tearing a loop down).
    pub fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.count = 0;
        self.entries.drain(..).flatten().map(|e| e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_makes_old_token_stale() {
        let mut r = Registry::default();
        let (t1, old) = r.insert(7, "a");
        assert!(old.is_none());
        let (t2, old) = r.insert(7, "b");
        assert_eq!(old, Some("a"));
        assert!(r.get(t1).is_none());
        assert_eq!(r.get(t2), Some(&"b"));
        assert!(r.remove(t1).is_none());
        assert_eq!(r.len(), 1);
        assert_eq!(r.remove(t2), Some("b"));
        assert!(r.is_empty());
    }
}
