// Seeded randomness that gives the same sequence on every platform and standard library.
// std::mt19937_64's output is fixed by the C++ standard; std's distributions are not (libstdc++
// and libc++ differ, and have changed between versions), so the few distributions the sample
// county needs are written here over the raw 64-bit draws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>

namespace holdfast::sample {

// SplitMix64's finaliser: a stateless, well-mixed hash of one 64-bit value.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A hash of several values, for decisions that several cases share (is this group's session
// held this week?) and so cannot come from one case's own stream.
inline uint64_t MixAll(std::initializer_list<uint64_t> values) {
  uint64_t h = 0x6a09e667f3bcc909ull;
  for (uint64_t v : values) h = Mix64(h ^ v);
  return h;
}

class PortableRandom {
 public:
  explicit PortableRandom(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n); n must be at least 1. Draws below 2^64 mod n are rejected so that
  // every value is equally likely.
  uint64_t Below(uint64_t n) {
    const uint64_t reject_below = (0 - n) % n;
    uint64_t draw;
    do {
      draw = engine_();
    } while (draw < reject_below);
    return draw % n;
  }

  // Uniform in [lo, hi], both included; lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability percent / 100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }

  // Index i with probability weights[i] / (sum of weights); the sum must be at least 1.
  size_t Weighted(std::initializer_list<int> weights) {
    uint64_t total = 0;
    for (int w : weights) total += static_cast<uint64_t>(w);
    uint64_t draw = Below(total);
    size_t i = 0;
    for (int w : weights) {
      if (draw < static_cast<uint64_t>(w)) return i;
      draw -= static_cast<uint64_t>(w);
      ++i;
    }
    return i - 1;  // not reached
  }

  // One element of a non-empty array, uniformly.
  template <typename T, size_t N>
  const T& PickFrom(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace holdfast::sample
