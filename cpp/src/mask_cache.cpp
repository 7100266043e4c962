#include "mask_cache.hpp"

namespace minplus {

MaskCache::MaskCache() : slots_(1024, Slot{0, 0}), mask_(1023), size_(0), shift_(54) {}

void MaskCache::grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{0, 0});
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  --shift_;
  for (const Slot& s : old) {
    if (s.state == 0) continue;
    size_t i = slot(s.key);
    while (slots_[i].state != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace minplus
