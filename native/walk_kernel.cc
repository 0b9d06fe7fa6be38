#include "walk_kernel.h"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LGBM_NODE_WALK_X86 1
#include <immintrin.h>
#endif

namespace lgbm_node {

WalkIsa BestWalkIsa() {
#ifdef LGBM_NODE_WALK_X86
  __builtin_cpu_init();
  // libgcc and compiler-rt report AVX-512 and AVX2 only where the OS saves their registers (XCR0)
  if (!__builtin_cpu_supports("popcnt")) return WalkIsa::kNone;
  if (__builtin_cpu_supports("avx512f")) return WalkIsa::kAvx512;
  if (__builtin_cpu_supports("avx2")) return WalkIsa::kAvx2;
#endif
  return WalkIsa::kNone;
}

const char* WalkIsaName(WalkIsa isa) {
  switch (isa) {
    case WalkIsa::kAvx512:
      return "avx512";
    case WalkIsa::kAvx2:
      return "avx2";
    default:
      return "none";
  }
}

namespace {

int32_t I32At(const std::vector<uint8_t>& m, int64_t a) {
  int32_t v;
  std::memcpy(&v, m.data() + a, 4);
  return v;
}

}  // namespace

std::string BuildWalkForest(const uint8_t* tables, size_t length, const WalkSpec& s, WalkForest* f) {
  if (s.tableBase < 0 || s.tableBase > 65536 || s.tableBase % 8 != 0) return "bad table base";
  if (length > (1u << 30)) return "tables too large";
  const int64_t memEnd = static_cast<int64_t>(s.tableBase) + static_cast<int64_t>(length);
  if (s.numTrees < 1 || s.k < 1 || s.numTrees % s.k != 0) return "bad tree count";
  if (s.rankRowBytes < 4 || s.rankRowBytes > 4096 || s.rankRowBytes % 4 != 0) return "bad rank row size";
  if (s.entriesAt < s.tableBase || s.entriesAt % 8 != 0 || s.entriesEnd < s.entriesAt + 8 ||
      s.entriesEnd > memEnd || (s.entriesEnd - s.entriesAt) % 8 != 0) {
    return "bad entry range";
  }
  if (s.groupsAddr < s.tableBase || s.groupsAddr % 4 != 0 ||
      s.groupsAddr + static_cast<int64_t>(s.numTrees) * 12 > memEnd) {
    return "bad group table";
  }
  f->mem.assign(static_cast<size_t>(memEnd), 0);
  std::memcpy(f->mem.data() + s.tableBase, tables, length);
  f->numTrees = s.numTrees;
  f->k = s.k;
  f->rankRowBytes = s.rankRowBytes;
  f->categorical = s.categorical;
  f->root.resize(s.numTrees);
  f->leafAddr.resize(s.numTrees);
  f->output.resize(s.numTrees);
  const int64_t numEntries = (s.entriesEnd - s.entriesAt) / 8;
  std::vector<uint8_t> seen(static_cast<size_t>(numEntries), 0);
  std::vector<int32_t> stack;
  for (int32_t t = 0; t < s.numTrees; t++) {
    const int64_t g = s.groupsAddr + static_cast<int64_t>(t) * 12;
    const int32_t root = I32At(f->mem, g), leafAddr = I32At(f->mem, g + 4), outOff = I32At(f->mem, g + 8);
    if (root < s.entriesAt || root >= s.entriesEnd || (root - s.entriesAt) % 8 != 0) return "bad root";
    if (leafAddr < s.tableBase || leafAddr % 8 != 0 || leafAddr > memEnd) return "bad leaf values";
    if (outOff != (t % s.k) * 8) return "bad output offset";
    f->root[t] = root;
    f->leafAddr[t] = leafAddr;
    f->output[t] = t % s.k;
    stack.assign(1, root);
    while (!stack.empty()) {
      const int32_t e = stack.back();
      stack.pop_back();
      const int64_t idx = (e - s.entriesAt) / 8;
      if (seen[idx]) return "an entry is reached twice";
      seen[idx] = 1;
      const int32_t thr = I32At(f->mem, e);
      const uint32_t w = static_cast<uint32_t>(I32At(f->mem, e + 4));
      const uint32_t slot = w & 0xffff, off = w >> 16;
      if (slot % 4 != 0 || slot + 4 > static_cast<uint32_t>(s.rankRowBytes)) return "bad rank slot";
      if (off == 0) {
        if (thr < 0 || leafAddr + 8 * static_cast<int64_t>(thr) + 8 > memEnd) return "bad leaf index";
        continue;
      }
      if ((off & 1) != 0 && !s.categorical) return "categorical entry in a numerical model";
      if ((off & 6) != 0) return "bad children offset";
      const int64_t pair = static_cast<int64_t>(e) + (off & ~7u);
      if ((off & ~7u) < 8 || pair + 16 > s.entriesEnd) return "bad children offset";
      // bits 1 and 2 of the copy's offset: the left or right child is a leaf, so that a lane stepping onto
      // a leaf is done in that step (the WebAssembly walk takes one more step to read the leaf)
      const auto isLeaf = [&](int64_t child) { return (static_cast<uint32_t>(I32At(f->mem, child + 4)) >> 16) == 0; };
      const uint32_t flagged = off | (isLeaf(pair) ? 2u : 0u) | (isLeaf(pair + 8) ? 4u : 0u);
      const uint32_t word = slot | (flagged << 16);
      std::memcpy(f->mem.data() + e + 4, &word, 4);
      stack.push_back(static_cast<int32_t>(pair));
      stack.push_back(static_cast<int32_t>(pair + 8));
    }
  }
  f->rootsExt.resize(static_cast<size_t>(s.numTrees) + kWalkQueueSlack);
  f->rowOffExt.resize(static_cast<size_t>(s.numTrees) + kWalkQueueSlack);
  for (int32_t i = 0; i < s.numTrees + kWalkQueueSlack; i++) {
    f->rootsExt[i] = f->root[i % s.numTrees];
    f->rowOffExt[i] = i / s.numTrees * s.rankRowBytes;
  }
  return "";
}

namespace {

// The items of a chunk, (tree, row) pairs in the order lanes take them: item i starts at entry roots[i]
// and reads the rank row at rowOffs[i]. Both arrays have kWalkQueueSlack entries after the last item: a
// refill reads a vector's width past `next`, and `next` passes the last item by up to one refill a lane.
struct Queue {
  const int32_t* roots;
  const int32_t* rowOffs;
  int32_t next = 0;
};

#ifdef LGBM_NODE_WALK_X86

struct Lanes512 {
  __m512i cur[2], item[2], rowOff[2];
  __mmask16 active[2];
};

// lanes in `m` of vector v take the next items of the queue (a lambda would not get the target attribute)
__attribute__((target("avx512f,popcnt"))) inline void Refill512(Lanes512& L, int v, __mmask16 m, const WalkForest& f,
                                                              Queue& q, __m512i iota, __m512i totalV) {
  const __m512i roots = _mm512_loadu_si512(q.roots + q.next);
  const __m512i offs = _mm512_loadu_si512(q.rowOffs + q.next);
  L.cur[v] = _mm512_mask_expand_epi32(L.cur[v], m, roots);
  L.rowOff[v] = _mm512_mask_expand_epi32(L.rowOff[v], m, offs);
  L.item[v] = _mm512_mask_expand_epi32(L.item[v], m, _mm512_add_epi32(iota, _mm512_set1_epi32(q.next)));
  q.next += __builtin_popcount(m);
  L.active[v] = _mm512_cmplt_epi32_mask(L.item[v], totalV);
}

// Two vectors of 16 lanes: their gathers overlap (one alone waits on its load chain; measured in a C
// prototype with 1 / 2 / 4 vectors on the large bench model: 130k / 210k / 195k rows/s).
template <bool kCategorical>
__attribute__((target("avx512f,popcnt"))) int32_t Walk512(const WalkForest& f, Queue q, const uint8_t* ranks,
                                                          int32_t total, int32_t* itemBuf, int32_t* leafBuf) {
  const uint8_t* mem = f.mem.data();
  constexpr int V = 2;
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1), four = _mm512_set1_epi32(4);
  const __m512i two = _mm512_set1_epi32(2), seven = _mm512_set1_epi32(7), eight = _mm512_set1_epi32(8);
  const __m512i lo16 = _mm512_set1_epi32(0xffff), totalV = _mm512_set1_epi32(total);
  Lanes512 L;
  __m512i (&cur)[2] = L.cur;
  __mmask16 (&active)[2] = L.active;
  int32_t nb = 0;
  for (int v = 0; v < V; v++) {
    L.cur[v] = L.rowOff[v] = L.item[v] = zero;
    Refill512(L, v, 0xffff, f, q, iota, totalV);
  }
  for (;;) {
    __mmask16 any = 0;
    for (int v = 0; v < V; v++) any |= active[v];
    if (any == 0) break;
    for (int v = 0; v < V; v++) {
      const __mmask16 a = active[v];
      __m512i c = cur[v];
      const __m512i w = _mm512_mask_i32gather_epi32(zero, a, _mm512_add_epi32(c, four), mem, 1);
      const __m512i thr = _mm512_mask_i32gather_epi32(zero, a, c, mem, 1);
      __m512i off = _mm512_srli_epi32(w, 16);
      const __m512i r =
          _mm512_mask_i32gather_epi32(zero, a, _mm512_add_epi32(_mm512_and_si512(w, lo16), L.rowOff[v]), ranks, 1);
      __mmask16 right = _mm512_cmpgt_epi32_mask(r, thr);
      if (kCategorical) {
        // bit 0 of the offset: a categorical entry, which goes right when the row's mask is not in its bitset
        const __mmask16 cat = _mm512_test_epi32_mask(off, one);
        right = (right & ~cat) | (_mm512_testn_epi32_mask(r, thr) & cat);
      }
      // a lane is done at a leaf (a root that is one) or when it steps onto one (bits 1 and 2 of the offset)
      const __mmask16 leafNow = _mm512_mask_cmpeq_epi32_mask(a, off, zero);
      const __mmask16 leftLeaf = _mm512_test_epi32_mask(off, two), rightLeaf = _mm512_test_epi32_mask(off, four);
      const __mmask16 done = leafNow | (a & ((right & rightLeaf) | (~right & leftLeaf)));
      __m512i next = _mm512_add_epi32(c, _mm512_andnot_si512(seven, off));
      next = _mm512_mask_add_epi32(next, right, next, eight);
      // note (item, address of its leaf's entry), then the lane takes the next item
      _mm512_storeu_si512(itemBuf + nb, _mm512_maskz_compress_epi32(done, L.item[v]));
      _mm512_storeu_si512(leafBuf + nb, _mm512_maskz_compress_epi32(done, _mm512_mask_mov_epi32(next, leafNow, c)));
      nb += __builtin_popcount(done);
      cur[v] = next;
      Refill512(L, v, done, f, q, iota, totalV);
    }
  }
  return nb;
}

// AVX2 has no compress or expand: permutations from tables of the 256 lane masks. Three vectors of 8
// lanes (the C prototype with 2 / 3 / 4 / 6: 108k / 174k / 172k / 110k rows/s).
struct Lut {
  int32_t compress[256][8];
  int32_t expand[256][8];
  Lut() {
    for (int m = 0; m < 256; m++) {
      int n = 0;
      for (int i = 0; i < 8; i++)
        if ((m >> i) & 1) compress[m][n++] = i;
      for (; n < 8; n++) compress[m][n] = 0;
      n = 0;
      for (int i = 0; i < 8; i++) expand[m][i] = ((m >> i) & 1) ? n++ : 0;
    }
  }
};
const Lut kLut;

struct Lanes256 {
  __m256i cur[3], item[3], rowOff[3], active[3];
};

__attribute__((target("avx2"))) inline __m256i Load256(const int32_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

__attribute__((target("avx2,popcnt"))) inline void Refill256(Lanes256& L, int v, int m, __m256i mask,
                                                           const WalkForest& f, Queue& q, __m256i iota,
                                                           __m256i totalV) {
  const __m256i perm = Load256(kLut.expand[m]);
  const __m256i roots = _mm256_permutevar8x32_epi32(Load256(q.roots + q.next), perm);
  const __m256i offs = _mm256_permutevar8x32_epi32(Load256(q.rowOffs + q.next), perm);
  const __m256i items = _mm256_add_epi32(_mm256_permutevar8x32_epi32(iota, perm), _mm256_set1_epi32(q.next));
  L.cur[v] = _mm256_blendv_epi8(L.cur[v], roots, mask);
  L.rowOff[v] = _mm256_blendv_epi8(L.rowOff[v], offs, mask);
  L.item[v] = _mm256_blendv_epi8(L.item[v], items, mask);
  q.next += __builtin_popcount(m);
  L.active[v] = _mm256_cmpgt_epi32(totalV, L.item[v]);
}

template <bool kCategorical>
__attribute__((target("avx2,popcnt"))) int32_t Walk256(const WalkForest& f, Queue q, const uint8_t* ranks,
                                                       int32_t total, int32_t* itemBuf, int32_t* leafBuf) {
  constexpr int V = 3;
  const int* mem = reinterpret_cast<const int*>(f.mem.data());
  const int* rk = reinterpret_cast<const int*>(ranks);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1), four = _mm256_set1_epi32(4);
  const __m256i two = _mm256_set1_epi32(2), seven = _mm256_set1_epi32(7), eight = _mm256_set1_epi32(8);
  const __m256i lo16 = _mm256_set1_epi32(0xffff), totalV = _mm256_set1_epi32(total);
  Lanes256 L;
  __m256i (&cur)[3] = L.cur;
  __m256i (&active)[3] = L.active;
  int32_t nb = 0;
  for (int v = 0; v < V; v++) {
    L.cur[v] = L.rowOff[v] = L.item[v] = zero;
    Refill256(L, v, 0xff, _mm256_set1_epi32(-1), f, q, iota, totalV);
  }
  for (;;) {
    __m256i any = active[0];
    for (int v = 1; v < V; v++) any = _mm256_or_si256(any, active[v]);
    if (_mm256_testz_si256(any, any)) break;
    for (int v = 0; v < V; v++) {
      const __m256i a = active[v];
      __m256i c = cur[v];
      const __m256i w = _mm256_mask_i32gather_epi32(zero, mem, _mm256_add_epi32(c, four), a, 1);
      const __m256i thr = _mm256_mask_i32gather_epi32(zero, mem, c, a, 1);
      __m256i off = _mm256_srli_epi32(w, 16);
      const __m256i r =
          _mm256_mask_i32gather_epi32(zero, rk, _mm256_add_epi32(_mm256_and_si256(w, lo16), L.rowOff[v]), a, 1);
      __m256i right = _mm256_cmpgt_epi32(r, thr);
      if (kCategorical) {
        const __m256i cat = _mm256_cmpeq_epi32(_mm256_and_si256(off, one), one);
        right = _mm256_blendv_epi8(right, _mm256_cmpeq_epi32(_mm256_and_si256(r, thr), zero), cat);
      }
      const __m256i leafNow = _mm256_and_si256(a, _mm256_cmpeq_epi32(off, zero));
      // the leaf bit of the side taken: bit 2 going right, bit 1 going left
      const __m256i bit = _mm256_blendv_epi8(two, four, right);
      const __m256i onto = _mm256_and_si256(a, _mm256_cmpeq_epi32(_mm256_and_si256(off, bit), bit));
      const __m256i done = _mm256_or_si256(leafNow, onto);
      const __m256i next =
          _mm256_add_epi32(c, _mm256_add_epi32(_mm256_andnot_si256(seven, off), _mm256_and_si256(right, eight)));
      cur[v] = next;
      const int m = _mm256_movemask_ps(_mm256_castsi256_ps(done));
      const __m256i perm = Load256(kLut.compress[m]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(itemBuf + nb), _mm256_permutevar8x32_epi32(L.item[v], perm));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(leafBuf + nb),
                          _mm256_permutevar8x32_epi32(_mm256_blendv_epi8(next, c, leafNow), perm));
      nb += __builtin_popcount(m);
      Refill256(L, v, m, done, f, q, iota, totalV);
    }
  }
  return nb;
}

#endif

// Leaves summed per row in model order (GBDT::PredictRaw: every output from 0.0, trees in order); rows
// interleaved so that their additions overlap.
void SumLeaves(const WalkForest& f, int32_t rows, const int32_t* leafOf, double* out) {
  const int32_t nt = f.numTrees, k = f.k;
  const uint8_t* mem = f.mem.data();
  if (rows == 1 && k == 1) {
    double acc = 0.0;
    for (int32_t t = 0; t < nt; t++) {
      double v;
      std::memcpy(&v, mem + f.leafAddr[t] + 8 * static_cast<int64_t>(leafOf[t]), 8);
      acc += v;
    }
    out[0] = acc;
    return;
  }
  for (int32_t i = 0; i < rows * k; i++) out[i] = 0.0;
  for (int32_t t = 0; t < nt; t++) {
    const uint8_t* leaves = mem + f.leafAddr[t];
    double* o = out + f.output[t];
    for (int32_t r = 0; r < rows; r++) {
      double v;
      std::memcpy(&v, leaves + 8 * static_cast<int64_t>(leafOf[t * rows + r]), 8);
      o[r * k] += v;
    }
  }
}

}  // namespace

void WalkRows(const WalkForest& f, WalkIsa isa, const uint8_t* ranks, int64_t n, double* out, WalkScratch* s) {
  const int32_t chunk = s->chunkRows;
  for (int64_t r0 = 0; r0 < n; r0 += chunk) {
    const int32_t rows = static_cast<int32_t>(n - r0 < chunk ? n - r0 : chunk);
    const int32_t nt = f.numTrees, total = rows * nt;
    const uint8_t* rk = ranks + r0 * f.rankRowBytes;
    Queue q{f.rootsExt.data(), f.rowOffExt.data()};
    if (rows > 1) {
      // tree by tree, the rows of the chunk side by side: lanes in flight share their trees' entries
      int32_t* roots = s->itemRoot.data();
      int32_t* offs = s->itemRowOff.data();
      for (int32_t t = 0, i = 0; t < nt; t++)
        for (int32_t r = 0; r < rows; r++, i++) roots[i] = f.root[t], offs[i] = r * f.rankRowBytes;
      q = Queue{roots, offs};
    }
    int32_t nb = 0;
#ifdef LGBM_NODE_WALK_X86
    if (isa == WalkIsa::kAvx512) {
      nb = f.categorical ? Walk512<true>(f, q, rk, total, s->item.data(), s->leaf.data())
                         : Walk512<false>(f, q, rk, total, s->item.data(), s->leaf.data());
    } else if (isa == WalkIsa::kAvx2) {
      nb = f.categorical ? Walk256<true>(f, q, rk, total, s->item.data(), s->leaf.data())
                         : Walk256<false>(f, q, rk, total, s->item.data(), s->leaf.data());
    }
#else
    (void)rk;
    (void)isa;
#endif
    // every item reaches exactly one leaf (cursors only move forward through validated entries);
    // leaf[i] is the address of the leaf entry item[i] ended on, which holds the leaf's index
    for (int32_t i = 0; i < nb; i++) std::memcpy(&s->leafOf[s->item[i]], f.mem.data() + s->leaf[i], 4);
    SumLeaves(f, rows, s->leafOf.data(), out + r0 * f.k);
  }
}

}  // namespace lgbm_node
