//===- BufferCache.cpp - heap allocation for lowered CPU code ---*- C++ -*-===//
//
// The generic allocation functions that finalize-memref-to-llvm calls with
// use-generic-functions. Large blocks are cached by size and backed by
// transparent huge pages: a gradient at the headline shape allocates tens of
// MiB of stacked activations per call, and fresh pages cost a kernel fault
// and a zero-fill each (about a tenth of a simple RNN gradient's time), while
// small pages make the BLAS packing routines miss the TLB on every row.
//
//===----------------------------------------------------------------------===//

#include "scan/Runtime/CPURuntime.h"
#include "EnvFlag.h"

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#define SCANRT_EXPORT __attribute__((visibility("default")))

namespace {

// Under AddressSanitizer the cache is off unless SCANRT_BUFFER_CACHE=1: a
// block handed out again, or rounded up to a page, hides a use after free or
// an overflow from ASan, on exactly the large buffers the kernels work on.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheByDefault = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCacheByDefault = false;
#else
constexpr bool kCacheByDefault = true;
#endif
#else
constexpr bool kCacheByDefault = true;
#endif

constexpr uint64_t kCachedBlock = uint64_t(64) << 10; // cached from here on
constexpr uint64_t kHugeBlock = uint64_t(1) << 20;    // on huge pages from here
constexpr uint64_t kPage = uint64_t(4) << 10;
constexpr uint64_t kHugePage = uint64_t(2) << 20; // x86-64 THP size

uint64_t roundUp(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

class BufferCache {
public:
  BufferCache() {
    enabled = scanrt::envFlag("SCANRT_BUFFER_CACHE", kCacheByDefault);
    if (const char *mib = std::getenv("SCANRT_BUFFER_CACHE_MIB")) {
      char *end = nullptr;
      unsigned long long v = std::strtoull(mib, &end, 10);
      if (end != mib && *end == '\0')
        capBytes = static_cast<uint64_t>(v) << 20;
    }
  }

  void *allocate(uint64_t alignment, uint64_t size) {
    if (!enabled || size < kCachedBlock || alignment > kPage)
      return alignment <= alignof(std::max_align_t)
                 ? std::malloc(size)
                 : std::aligned_alloc(alignment, roundUp(size, alignment));
    bool huge = size >= kHugeBlock;
    uint64_t rounded = roundUp(size, huge ? kHugePage : kPage);
    std::lock_guard<std::mutex> lock(mutex);
    auto idleIt = idle.find(rounded);
    void *p;
    if (idleIt != idle.end()) {
      p = idleIt->second;
      idle.erase(idleIt);
      idleBytes -= rounded;
      ++hits;
    } else {
      p = std::aligned_alloc(huge ? kHugePage : kPage, rounded);
      if (!p)
        return nullptr;
      // Only a hint: without THP support the block is ordinary memory.
      if (huge)
        (void)madvise(p, rounded, MADV_HUGEPAGE);
      ++misses;
    }
    live.emplace(p, rounded);
    return p;
  }

  void release(void *p) {
    if (!p)
      return;
    if (enabled) {
      std::lock_guard<std::mutex> lock(mutex);
      auto liveIt = live.find(p);
      if (liveIt != live.end()) {
        uint64_t size = liveIt->second;
        live.erase(liveIt);
        if (idleBytes + size <= capBytes) {
          idle.emplace(size, p);
          idleBytes += size;
          return;
        }
      }
    }
    std::free(p);
  }

  struct Stats {
    uint64_t hits, misses, idleBytes;
  };
  Stats stats() {
    std::lock_guard<std::mutex> lock(mutex);
    return {hits, misses, idleBytes};
  }

  void releaseAll() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &[size, p] : idle)
      std::free(p);
    idle.clear();
    idleBytes = 0;
  }

private:
  bool enabled = true;
  uint64_t capBytes = uint64_t(4096) << 20;
  std::mutex mutex;
  std::unordered_map<void *, uint64_t> live;      // cached-size blocks in use
  std::unordered_multimap<uint64_t, void *> idle; // freed, by rounded size
  uint64_t idleBytes = 0;
  uint64_t hits = 0, misses = 0;
};

/// Never destroyed: lowered code may still free blocks while the process
/// runs its exit handlers.
BufferCache &cache() {
  static BufferCache *c = new BufferCache;
  return *c;
}

} // namespace

extern "C" SCANRT_EXPORT void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return cache().allocate(alignof(std::max_align_t), size);
}

extern "C" SCANRT_EXPORT void *
_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size) {
  return cache().allocate(alignment, size);
}

extern "C" SCANRT_EXPORT void _mlir_memref_to_llvm_free(void *ptr) {
  cache().release(ptr);
}

extern "C" SCANRT_EXPORT int64_t scanrt_buffer_cache_hits(void) {
  return static_cast<int64_t>(cache().stats().hits);
}

extern "C" SCANRT_EXPORT int64_t scanrt_buffer_cache_misses(void) {
  return static_cast<int64_t>(cache().stats().misses);
}

extern "C" SCANRT_EXPORT int64_t scanrt_buffer_cache_idle_bytes(void) {
  return static_cast<int64_t>(cache().stats().idleBytes);
}

extern "C" SCANRT_EXPORT void scanrt_buffer_cache_release(void) {
  cache().releaseAll();
}
