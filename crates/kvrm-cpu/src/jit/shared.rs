//! Compiled regions shared by every `Jit` of the process, keyed by the guest
//! code they were lifted from: spaces that run the same code (the lanes of
//! `--lanes`, processes that exec the same program, a region lifted again
//! after its page was unmapped and mapped back) compile it once.
//!
//! A region's IR is a function of its blocks' starts and instruction words
//! alone (`kvrm_ir::lift_block` reads nothing else), and its code a
//! function of that IR, the tier and whether the space has a window. The
//! key holds all of them, compared in full, so a region is reused only
//! where compiling it again would give the same code. The code reads
//! everything that differs between spaces (state, TLBs, front, window)
//! through its `JitCtx`.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, Mutex};

use super::compiler::Compiler;
use super::helpers::FallbackInfo;
use super::{BlockFn, Tier};

/// What a region was compiled from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RegionKey {
    pub tier: Tier,
    pub flat: bool,
    /// For each block in region order: its start (two words, low first),
    /// its length, and its instruction words.
    pub code: Vec<u32>,
}

impl RegionKey {
    pub fn new(tier: Tier, flat: bool) -> Self {
        RegionKey {
            tier,
            flat,
            code: Vec::new(),
        }
    }

    /// Add a block of the region: its start and its instruction words.
    pub fn push_block(&mut self, start: u64, words: &[u32]) {
        self.code.push(start as u32);
        self.code.push((start >> 32) as u32);
        self.code.push(words.len() as u32);
        self.code.extend_from_slice(words);
    }

    pub fn start(&self) -> u64 {
        u64::from(self.code[0]) | u64::from(self.code[1]) << 32
    }
}

/// The blocks of a key's `code`: (start, instruction words).
pub(crate) fn blocks(mut code: &[u32]) -> impl Iterator<Item = (u64, &[u32])> {
    std::iter::from_fn(move || {
        let [lo, hi, len, rest @ ..] = code else {
            return None;
        };
        let (words, next) = rest.split_at((*len as usize).min(rest.len()));
        code = next;
        Some((u64::from(*lo) | u64::from(*hi) << 32, words))
    })
}

/// A compiled region as any `Jit` installs it.
#[derive(Clone)]
pub(crate) struct SharedRegion {
    pub code: BlockFn,
    pub len: u32,
    /// Pointed to by the code.
    pub fallbacks: Arc<Vec<FallbackInfo>>,
    pub fallbacks_compiled: u64,
    /// Quick code's count of entries and back-edges, summed over the spaces
    /// that run it (it only decides when to compile the optimized tier).
    pub counter: Option<Arc<AtomicU64>>,
    /// Owns the code: freed when no holder is left.
    pub module: Arc<Mutex<Compiler>>,
}

/// Most instruction words held by the keys: past it the cache starts over
/// (the code stays with the `Jit`s that installed it). A MiB of keys and a
/// few thousand regions, most programs' whole hot code.
const MAX_WORDS: usize = 1 << 18;

/// Most regions kept for one start (different code, or the same code
/// grouped into regions differently: the blocks a region takes in depend on
/// how warm they were in the space that compiled it).
const MAX_VARIANTS: usize = 8;

/// Regions by (tier, window, start): each one's key code and region.
type Variants = Vec<(Arc<[u32]>, SharedRegion)>;

struct Cache {
    regions: HashMap<(Tier, bool, u64), Variants>,
    /// Instruction words held by the keys, and the most it may hold.
    words: usize,
    max_words: usize,
}

impl Cache {
    fn new(max_words: usize) -> Self {
        Cache {
            regions: HashMap::new(),
            words: 0,
            max_words,
        }
    }

    /// The regions at (tier, window, start), for [`find`].
    fn variants(&self, tier: Tier, flat: bool, start: u64) -> Option<Variants> {
        self.regions.get(&(tier, flat, start)).cloned()
    }

    fn publish(&mut self, key: RegionKey, region: &SharedRegion) {
        if key.code.is_empty() {
            return;
        }
        if self.words + key.code.len() > self.max_words {
            self.regions.clear();
            self.words = 0;
        }
        let variants = self
            .regions
            .entry((key.tier, key.flat, key.start()))
            .or_default();
        if variants.iter().any(|(code, _)| **code == key.code[..]) {
            return;
        }
        if variants.len() >= MAX_VARIANTS {
            let (old, _) = variants.remove(0);
            self.words -= old.len();
        }
        self.words += key.code.len();
        variants.push((key.code.into(), region.clone()));
    }

    fn forget(&mut self, compiler: &Arc<Mutex<Compiler>>) {
        let mut dropped = 0;
        for variants in self.regions.values_mut() {
            variants.retain(|(code, r)| {
                let keep = !Arc::ptr_eq(&r.module, compiler);
                dropped += if keep { 0 } else { code.len() };
                keep
            });
        }
        self.regions.retain(|_, v| !v.is_empty());
        self.words -= dropped;
    }
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(Cache::new(MAX_WORDS)));

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(|p| p.into_inner())
}

/// `KVRM_JIT_SHARE=0` turns sharing off (to compare).
fn enabled() -> bool {
    static ON: LazyLock<bool> =
        LazyLock::new(|| std::env::var_os("KVRM_JIT_SHARE").is_none_or(|v| v != "0"));
    *ON
}

/// A region compiled for `tier` and `flat` that starts at `start` and whose
/// key code `matches` says holds (every block's words are the space's own:
/// then its code is what compiling them here would give, whatever blocks
/// this space would have grouped with the first).
pub(crate) fn find(
    tier: Tier,
    flat: bool,
    start: u64,
    mut matches: impl FnMut(&[u32]) -> bool,
) -> Option<SharedRegion> {
    if !enabled() {
        return None;
    }
    // Checked without the lock: `matches` reads guest memory.
    let variants = cache().variants(tier, flat, start)?;
    variants
        .into_iter()
        .find(|(code, _)| matches(code))
        .map(|(_, r)| r)
}

/// Offer `region`, compiled from `key`, to the other spaces (a key offered
/// before keeps its first region).
pub(crate) fn publish(key: RegionKey, region: &SharedRegion) {
    if enabled() {
        cache().publish(key, region);
    }
}

/// Drop the regions `compiler` compiled (its `Jit` starts a new one to free
/// dead code: the cache must not keep the old one alive).
pub(crate) fn forget(compiler: &Arc<Mutex<Compiler>>) {
    cache().forget(compiler);
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn no_code(_: *mut super::super::JitCtx) -> u64 {
        0
    }

    fn region(module: &Arc<Mutex<Compiler>>) -> SharedRegion {
        SharedRegion {
            code: no_code,
            len: 1,
            fallbacks: Arc::new(Vec::new()),
            fallbacks_compiled: 0,
            counter: None,
            module: module.clone(),
        }
    }

    fn key(start: u64, words: &[u32]) -> RegionKey {
        let mut k = RegionKey::new(Tier::Quick, true);
        k.push_block(start, words);
        k
    }

    #[test]
    fn keys_list_their_blocks() {
        let mut k = key(0x1_0000_1000, &[1, 2, 3]);
        k.push_block(0x1_0000_1040, &[]);
        k.push_block(0x1_0000_1080, &[7]);
        let blocks: Vec<(u64, &[u32])> = blocks(&k.code).collect();
        assert_eq!(
            blocks,
            [
                (0x1_0000_1000, &[1, 2, 3][..]),
                (0x1_0000_1040, &[][..]),
                (0x1_0000_1080, &[7][..])
            ]
        );
        assert_eq!(k.start(), 0x1_0000_1000);
    }

    #[test]
    fn variants_are_capped_and_their_words_counted() {
        let m = Arc::new(Mutex::new(Compiler::new()));
        let mut cache = Cache::new(1 << 20);
        for i in 0..MAX_VARIANTS as u32 + 3 {
            cache.publish(key(0x1000, &[i, i]), &region(&m));
        }
        // The same key again keeps its first region.
        cache.publish(key(0x1000, &[3, 3]), &region(&m));
        let v = cache.variants(Tier::Quick, true, 0x1000).expect("variants");
        assert_eq!(v.len(), MAX_VARIANTS);
        // The oldest went: their words too.
        assert_eq!(v[0].0[3], 3);
        assert_eq!(cache.words, MAX_VARIANTS * 5);
        assert!(cache.variants(Tier::Optimized, true, 0x1000).is_none());
        assert!(cache.variants(Tier::Quick, false, 0x1000).is_none());
    }

    #[test]
    fn a_full_cache_starts_over_and_forgets_a_compiler() {
        let (a, b) = (
            Arc::new(Mutex::new(Compiler::new())),
            Arc::new(Mutex::new(Compiler::new())),
        );
        let mut cache = Cache::new(20);
        cache.publish(key(0x1000, &[1]), &region(&a));
        cache.publish(key(0x2000, &[2]), &region(&b));
        cache.publish(key(0x3000, &[3]), &region(&a));
        assert_eq!(cache.words, 12);
        cache.forget(&a);
        assert_eq!(cache.words, 4);
        assert!(cache.variants(Tier::Quick, true, 0x1000).is_none());
        assert!(cache.variants(Tier::Quick, true, 0x2000).is_some());
        // The cache holds `b` until it starts over.
        assert_eq!(Arc::strong_count(&b), 2);
        cache.publish(key(0x4000, &[0; 14]), &region(&a));
        cache.publish(key(0x5000, &[0; 2]), &region(&a));
        assert!(cache.variants(Tier::Quick, true, 0x2000).is_none());
        assert_eq!(Arc::strong_count(&b), 1);
        assert_eq!(cache.words, 5);
    }
}
