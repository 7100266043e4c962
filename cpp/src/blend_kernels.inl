// The CPU blend kernels, included twice by blend_cpu.cpp: once for the baseline instruction set
// and once under `#pragma GCC target("avx2")`, each time inside a namespace of its own, so the two
// copies never meet at link time. Only this file's own functions are compiled for AVX2: standard
// headers are included before the pragma and keep the baseline target.
// (No include guard: included once per instruction set.)


// 1.5 * 2^23: adding and subtracting it rounds a float in [0, 2^22) to the nearest integer, ties
// to even (what std::nearbyint does in the default rounding mode), with plain adds that vectorise.
constexpr float kRoundMagic = 12582912.0f;

// A batch whose output is larger than g_stream_bytes (16 MB; set_stream_bytes) is written with
// non-temporal stores: it would leave the cache before the model reads it anyway, and streaming
// skips reading each line in first (about a third less memory traffic). Smaller batches are
// written through the cache for the model to read.

// memcpy, with non-temporal stores where the CPU has them (SSE2: every x86-64).
inline void stream_copy(unsigned char* dst, const unsigned char* src, size_t n) {
#if defined(__SSE2__)
  size_t head = (16 - (reinterpret_cast<uintptr_t>(dst) & 15)) & 15;
  if (head > n) head = n;
  std::memcpy(dst, src, head);
  size_t i = head;
  for (; i + 16 <= n; i += 16)
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i),
                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
  std::memcpy(dst + i, src + i, n - i);
#else
  std::memcpy(dst, src, n);
#endif
}

inline void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

template <DType D>
inline void store_value(float v, void* out, int64_t i) {
  if constexpr (D == DType::u8) {
    const float c = std::min(std::max(v, 0.0f), 255.0f);
    static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(static_cast<int32_t>((c + kRoundMagic) -
                                                                              kRoundMagic));
  } else if constexpr (D == DType::f16) {
    static_cast<uint16_t*>(out)[i] = float_to_half(v);
  } else {
    static_cast<float*>(out)[i] = v;
  }
}

// One row y of image b, alpha given per pixel of the row; the dtype is a template parameter so
// the inner loops carry no branch and vectorise.
template <DType D>
void blend_row(const Frames& f, int64_t b, int64_t y, const float* alpha_row, void* out) {
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
  const int C = f.C;
  const float* img = static_cast<const float*>(f.image);
  const float* base = static_cast<const float*>(f.baseline);
  const int64_t off = b * P * C;
  if (f.layout == Layout::hwc) {
    const int64_t i0 = y * f.W * C;
    for (int64_t x = 0; x < f.W; ++x) {
      const float a = alpha_row[x];
      for (int c = 0; c < C; ++c) {
        const int64_t i = i0 + x * C + c;
        store_value<D>(base[i] + a * (img[i] - base[i]), out, off + i);
      }
    }
  } else {
    for (int c = 0; c < C; ++c) {
      const int64_t i0 = c * P + y * f.W;
      for (int64_t x = 0; x < f.W; ++x)
        store_value<D>(base[i0 + x] + alpha_row[x] * (img[i0 + x] - base[i0 + x]), out,
                       off + i0 + x);
    }
  }
}

template <DType D>
void blend_alphas_t(const Frames& f, const float* alphas, const int64_t* index, int64_t B,
                    void* out, int threads) {
  const int64_t P = static_cast<int64_t>(f.H) * f.W;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t y = 0; y < f.H; ++y) blend_row<D>(f, b, y, alphas + index[b] * P + y * f.W, out);
}

// The window step of one element, in image units; the operation is a template parameter so the
// box loops carry no branch.
template <WindowOp Op>
inline float window_value(float white, bool quantise, float s, float o, float base, float g) {
  if constexpr (Op == WindowOp::remove) {
    return base + (1.0f - g) * (s - base);
  } else {
    float v = white - (white - s) * ((white - o * g) / white);
    // truncation towards zero as numpy's astype(uint8); the state never goes below 0
    if (quantise) v = std::max(static_cast<float>(static_cast<int32_t>(v)), 0.0f);
    return v;
  }
}

// The output's normalisation; Identity (scale 1, mean 0, std 1, e.g. hwc) skips it, which is
// exact: (v * 1 - 0) / 1 == v.
template <bool Identity>
inline float normalised(float v, float scale, float mean, float std) {
  if constexpr (Identity) return v;
  return (v * scale - mean) / std;
}

template <DType D>
using Stored = std::conditional_t<D == DType::u8, uint8_t,
                                  std::conditional_t<D == DType::f16, uint16_t, float>>;

// One run of n consecutive hwc elements inside a window's box: the window's weight of element j
// is ty * tx[j] (the row's tap times the column's, tx repeated per channel), the same product the
// separable window takes anywhere. Restrict-qualified typed pointers: a uint8 store may otherwise
// alias the float inputs, and the loop would not vectorise.
template <DType D, WindowOp Op, bool Identity>
inline void box_run(int64_t n, const float* __restrict__ s, const float* __restrict__ o,
                    const float* __restrict__ bs, float ty, const float* __restrict__ tx,
                    const float* __restrict__ mean, const float* __restrict__ std, float white,
                    bool quantise, float scale, Stored<D>* __restrict__ dst) {
  for (int64_t j = 0; j < n; ++j) {
    const float v = normalised<Identity>(window_value<Op>(white, quantise, s[j], o[j], bs[j],
                                                          ty * tx[j]),
                                         scale, mean[j], std[j]);
    store_value<D>(v, dst, j);
  }
}

template <DType D, WindowOp Op, bool Identity>
void blend_windows_t(const WindowImages& im, const int32_t* centres, int64_t B, const float* taps,
                     int R, const WindowStep& st, const OutputSpec& sp, void* out, int threads) {
  const int H = im.H, W = im.W, C = im.C;
  const int64_t P = static_cast<int64_t>(H) * W, E = P * C;
  const int64_t WC = static_cast<int64_t>(W) * C;
  const size_t sz = itemsize(D);
  const bool hwc = sp.layout == Layout::hwc;
  // per element of a row, the channel's mean and std: the hwc inner loop then runs flat
  std::vector<float> mean_row(static_cast<size_t>(WC)), std_row(static_cast<size_t>(WC));
  for (int64_t j = 0; j < WC; ++j) {
    mean_row[j] = sp.mean[j % C];
    std_row[j] = sp.std[j % C];
  }
  const float scale = sp.scale;
  // the state in the output's layout and dtype, copied wherever the window does not reach (for
  // float32 hwc without normalisation that is the state itself)
  constexpr bool as_is = D == DType::f32 && Identity;
  std::vector<unsigned char> cur(as_is && hwc ? 0 : static_cast<size_t>(E) * sz);
  if (!cur.empty())
    for (int64_t p = 0; p < P; ++p)
      for (int c = 0; c < C; ++c)
        store_value<D>(normalised<Identity>(im.state[p * C + c], scale, sp.mean[c], sp.std[c]),
                       cur.data(), hwc ? p * C + c : c * P + p);
  const unsigned char* cur_bytes =
      cur.empty() ? reinterpret_cast<const unsigned char*>(im.state) : cur.data();
  unsigned char* out_bytes = static_cast<unsigned char*>(out);
  const float white = st.white;
  const bool quantise = st.quantise;
  // the column taps repeated per channel (hwc): a box row then reads its weights as one run
  const int64_t T = 2 * static_cast<int64_t>(R) + 1;
  std::vector<float> taps_c(static_cast<size_t>(T * C));
  for (int64_t k = 0; k < T; ++k)
    for (int c = 0; c < C; ++c) taps_c[k * C + c] = taps[k];

  const bool stream = B * E * static_cast<int64_t>(sz) > g_stream_bytes.load(std::memory_order_relaxed);

#pragma omp parallel num_threads(threads)
  {
    std::vector<float> g(static_cast<size_t>(W));
    // streaming: a box row is assembled here (in L1) and then streamed out whole
    std::vector<unsigned char> row(stream ? static_cast<size_t>(WC) * sz : 0);
    // copy n bytes of the state at byte offset at to the output at byte offset to
    auto put = [&](int64_t to, int64_t at, int64_t n) {
      if (stream)
        stream_copy(out_bytes + to, cur_bytes + at, static_cast<size_t>(n));
      else
        std::memcpy(out_bytes + to, cur_bytes + at, static_cast<size_t>(n));
    };
    // dynamic: on a busy machine a descheduled thread's rows go to the one still running
#pragma omp for collapse(2) schedule(dynamic, 32)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t y = 0; y < H; ++y) {
        const int64_t cy = centres[2 * b], cx = centres[2 * b + 1];
        const int64_t dy = y - cy;
        const int64_t x0 = std::max<int64_t>(0, cx - R), x1 = std::min<int64_t>(W, cx + R + 1);
        const int64_t ob = b * E;
        if (dy < -R || dy > R || x0 >= x1) {  // the window misses this row
          if (hwc) {
            put((ob + y * WC) * sz, y * WC * sz, WC * sz);
          } else {
            for (int c = 0; c < C; ++c) put((ob + c * P + y * W) * sz, (c * P + y * W) * sz, W * sz);
          }
          continue;
        }
        const float ty = taps[dy + R];
        const int64_t n = x1 - x0;
        if (hwc) {
          const int64_t r0 = y * WC, j0 = x0 * C, j1 = x1 * C;
          // the row's first element: in the output itself, or (streaming) in the row buffer that
          // is streamed out after
          unsigned char* dst = stream ? row.data() : out_bytes + (ob + r0) * sz;
          std::memcpy(dst, cur_bytes + r0 * sz, j0 * sz);
          std::memcpy(dst + j1 * sz, cur_bytes + (r0 + j1) * sz, (WC - j1) * sz);
          box_run<D, Op, Identity>(j1 - j0, im.state + r0 + j0, im.image + r0 + j0,
                                   im.baseline + r0 + j0, ty, taps_c.data() + (x0 - cx + R) * C,
                                   mean_row.data() + j0, std_row.data() + j0, white, quantise,
                                   scale, reinterpret_cast<Stored<D>*>(dst) + j0);
          if (stream) stream_copy(out_bytes + (ob + r0) * sz, row.data(), WC * sz);
        } else {
          for (int64_t x = x0; x < x1; ++x) g[x - x0] = ty * taps[x - cx + R];
          for (int c = 0; c < C; ++c) {
            const int64_t r0 = c * P + y * W;
            unsigned char* dst = stream ? row.data() : out_bytes + (ob + r0) * sz;
            std::memcpy(dst, cur_bytes + r0 * sz, x0 * sz);
            std::memcpy(dst + x1 * sz, cur_bytes + (r0 + x1) * sz, (W - x1) * sz);
            const float m = sp.mean[c], sd = sp.std[c];
            for (int64_t k = 0; k < n; ++k) {
              const int64_t i = (y * W + x0 + k) * C + c;
              const float v = window_value<Op>(white, quantise, im.state[i], im.image[i],
                                               im.baseline[i], g[k]);
              store_value<D>(normalised<Identity>(v, scale, m, sd), dst, x0 + k);
            }
            if (stream) stream_copy(out_bytes + (ob + r0) * sz, row.data(), W * sz);
          }
        }
      }
    }
    if (stream) stream_fence();  // this thread's streamed stores, before the team's barrier
  }
}


// Window steps rendered straight into an area-reduced frame: output pixel (oy, ox) of image b is
// the mean of the fy x fx block of the full-size render (what cv2.resize's INTER_AREA makes of
// it for integer factors), normalised and stored; the full-size images are never written. Each
// block row sums its fy source rows element by element (state outside the window's box, the
// window step inside), then each run of fx columns, in float32 as cv2 does; times 1 / (fy * fx).
template <DType D, WindowOp Op, bool Identity>
void blend_windows_block_t(const WindowImages& im, const int32_t* centres, int64_t B,
                           const float* taps, int R, const WindowStep& st, const OutputSpec& sp,
                           int fy, int fx, void* out, int threads) {
  const int H = im.H, W = im.W, C = im.C;
  const int h = H / fy, w = W / fx;
  const int64_t WC = static_cast<int64_t>(W) * C;
  const int64_t p = static_cast<int64_t>(h) * w, e = p * C;
  const bool hwc = sp.layout == Layout::hwc;
  const float inv = 1.0f / static_cast<float>(fy * fx);
  const float white = st.white, scale = sp.scale;
  const bool quantise = st.quantise;
  const int64_t T = 2 * static_cast<int64_t>(R) + 1;
  std::vector<float> taps_c(static_cast<size_t>(T * C));
  for (int64_t k = 0; k < T; ++k)
    for (int c = 0; c < C; ++c) taps_c[k * C + c] = taps[k];
  Stored<D>* dst = static_cast<Stored<D>*>(out);

#pragma omp parallel num_threads(threads)
  {
    std::vector<float> acc(static_cast<size_t>(WC));
    // block rows outer, images inner: a block row's fy source rows of the state, image and
    // baseline stay in this core's cache while every image of the batch sums them
#pragma omp for collapse(2) schedule(dynamic, 16)
    for (int64_t oy = 0; oy < h; ++oy) {
      for (int64_t b = 0; b < B; ++b) {
        const int64_t cy = centres[2 * b], cx = centres[2 * b + 1];
        const int64_t x0 = std::max<int64_t>(0, cx - R), x1 = std::min<int64_t>(W, cx + R + 1);
        float* __restrict__ a = acc.data();
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t y = oy * fy; y < (oy + 1) * fy; ++y) {
          const int64_t dy = y - cy, r0 = y * WC;
          const float* __restrict__ s = im.state + r0;
          const bool misses = dy < -R || dy > R || x0 >= x1;
          const int64_t j0 = misses ? WC : x0 * C, j1 = misses ? WC : x1 * C;
          for (int64_t j = 0; j < j0; ++j) a[j] += s[j];
          for (int64_t j = j1; j < WC; ++j) a[j] += s[j];
          if (misses) continue;
          const float ty = taps[dy + R];
          const float* __restrict__ o = im.image + r0;
          const float* __restrict__ bs = im.baseline + r0;
          const float* __restrict__ tx = taps_c.data() + (x0 - cx + R) * C - j0;
          for (int64_t j = j0; j < j1; ++j)
            a[j] += window_value<Op>(white, quantise, s[j], o[j], bs[j], ty * tx[j]);
        }
        for (int64_t ox = 0; ox < w; ++ox) {
          for (int c = 0; c < C; ++c) {
            float sum = 0.0f;
            for (int k = 0; k < fx; ++k) sum += a[(ox * fx + k) * C + c];
            const float v = normalised<Identity>(sum * inv, scale, sp.mean[c], sp.std[c]);
            store_value<D>(v, dst, b * e + (hwc ? (oy * w + ox) * C + c : c * p + oy * w + ox));
          }
        }
      }
    }
  }
}


// Calls f(D, Op, Identity) with the window kernels' compile-time choices for this output's dtype,
// the step's operation and whether the normalisation is the identity (integral_constant tags).
template <class F>
void with_window_kernel(const WindowImages& im, const WindowStep& st, const OutputSpec& sp,
                        F&& f) {
  bool identity = sp.scale == 1.0f;
  for (int c = 0; c < im.C; ++c) identity = identity && sp.mean[c] == 0.0f && sp.std[c] == 1.0f;
  auto for_op = [&](auto d, auto op) {
    if (identity)
      f(d, op, std::true_type{});
    else
      f(d, op, std::false_type{});
  };
  auto for_dtype = [&](auto d) {
    if (st.op == WindowOp::remove)
      for_op(d, std::integral_constant<WindowOp, WindowOp::remove>{});
    else
      for_op(d, std::integral_constant<WindowOp, WindowOp::screen>{});
  };
  switch (sp.dtype) {
    case DType::u8: for_dtype(std::integral_constant<DType, DType::u8>{}); break;
    case DType::f16: for_dtype(std::integral_constant<DType, DType::f16>{}); break;
    case DType::f32: for_dtype(std::integral_constant<DType, DType::f32>{}); break;
  }
}


void blend_alphas_all(const Frames& f, const float* alphas, const int64_t* index, int64_t B,
                      DType d, void* out, int threads) {
  switch (d) {
    case DType::u8: blend_alphas_t<DType::u8>(f, alphas, index, B, out, threads); break;
    case DType::f16: blend_alphas_t<DType::f16>(f, alphas, index, B, out, threads); break;
    case DType::f32: blend_alphas_t<DType::f32>(f, alphas, index, B, out, threads); break;
  }
}

void blend_windows_all(const WindowImages& im, const int32_t* centres, int64_t B,
                       const float* taps, int R, const WindowStep& step, const OutputSpec& spec,
                       void* out, int threads) {
  with_window_kernel(im, step, spec, [&](auto d, auto op, auto identity) {
    blend_windows_t<d.value, op.value, identity.value>(im, centres, B, taps, R, step, spec, out,
                                                       threads);
  });
}

void blend_windows_block_all(const WindowImages& im, const int32_t* centres, int64_t B,
                             const float* taps, int R, const WindowStep& step,
                             const OutputSpec& spec, int fy, int fx, void* out, int threads) {
  with_window_kernel(im, step, spec, [&](auto d, auto op, auto identity) {
    blend_windows_block_t<d.value, op.value, identity.value>(im, centres, B, taps, R, step, spec,
                                                             fy, fx, out, threads);
  });
}
