// Internal: the evaluated kept-masks of one search and what each is known to do.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "minplus/lattice.hpp"

namespace minplus {

// Open addressing with linear probing and Fibonacci hashing; key and state share one 16-byte
// slot, so a lookup usually touches one cache line, which std::unordered_map cannot match.
class MaskCache {
 public:
  // A pending mask already met while tell checks its batch (a duplicate); never left behind.
  static constexpr uint8_t kClaimed = 0xff;

  MaskCache();
  MaskState get(uint64_t key) const {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].state == 0) return MaskState::unknown;
      if (slots_[i].key == key) return static_cast<MaskState>(slots_[i].state);
    }
  }
  void set(uint64_t key, MaskState s) {  // s != unknown
    const auto state = static_cast<uint8_t>(s);
    size_t i = slot(key);
    for (; slots_[i].state != 0; i = (i + 1) & mask_) {
      if (slots_[i].key == key) {
        slots_[i].state = state;
        return;
      }
    }
    slots_[i] = Slot{key, state};
    if (2 * ++size_ > slots_.size()) grow();
  }
  // Sets key to pending and returns true if it was absent; returns false (and changes nothing)
  // if it is present. One probe for the search's commonest step (inline: it is the hot path).
  bool insert_pending(uint64_t key) {
    size_t i = slot(key);
    for (; slots_[i].state != 0; i = (i + 1) & mask_)
      if (slots_[i].key == key) return false;
    slots_[i] = Slot{key, static_cast<uint8_t>(MaskState::pending)};
    if (2 * ++size_ > slots_.size()) grow();
    return true;
  }
  // The state byte of key, or nullptr if absent; valid until the next insertion.
  uint8_t* find(uint64_t key) {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].state == 0) return nullptr;
      if (slots_[i].key == key) return &slots_[i].state;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key;
    uint8_t state;
  };
  size_t slot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow();
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
  int shift_ = 0;
};

}  // namespace minplus
