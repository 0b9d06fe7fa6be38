// The table walk's SIMD kernels: the compiled forest's walk tables (src/compiled/walk.ts: 8-byte entries of
// quantised splits) walked with AVX-512 or AVX2 gathers, 16 or 8 trees a vector, where a lane that reaches
// a leaf takes the next tree at once (no lane waits for its group's longest path). The WebAssembly walk
// cannot do this: it has no gather and no compress. Leaves are summed per row in model order afterwards,
// so raw scores are LightGBM's bit for bit, as the WebAssembly code's are.
//
// Pure C++, no Node-API: table_walk.cc wraps it. Tables are validated once (ValidateWalk) so that no
// entry, whatever the bytes, can send a gather outside them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lgbm_node {

enum class WalkIsa { kNone = 0, kAvx2 = 1, kAvx512 = 2 };

// The best kernel this CPU (and OS) runs; kNone off x86-64 or without a GCC-compatible compiler.
WalkIsa BestWalkIsa();
const char* WalkIsaName(WalkIsa isa);

struct WalkForest {
  // The module's memory image from address 0: [0, tableBase) unused, then the tables (compile.ts)
  std::vector<uint8_t> mem;
  int32_t numTrees = 0;
  int32_t k = 1;
  int32_t rankRowBytes = 0;
  bool categorical = false;
  // per tree: root entry address, address of its leaf values, output index (tree % k)
  std::vector<int32_t> root, leafAddr, output;
  // the queue of a single row (walk_kernel.cc, Queue): numTrees + kWalkQueueSlack entries,
  // rootsExt[i] = root[i % numTrees], rowOffExt[i] = i / numTrees * rankRowBytes
  std::vector<int32_t> rootsExt, rowOffExt;
};

// Entries after a queue's last item (two vectors of 16 lanes past it, and one vector read).
constexpr int32_t kWalkQueueSlack = 64;

struct WalkSpec {
  int32_t tableBase, entriesAt, entriesEnd, groupsAddr, numTrees, k, rankRowBytes;
  bool categorical;
};

// Builds the forest from the tables, checking every entry reachable from each root; returns "" or what is
// wrong.
std::string BuildWalkForest(const uint8_t* tables, size_t length, const WalkSpec& spec, WalkForest* out);

// Rows walked per kernel call (a batch of up to 32 rows is one chunk: its rows share the lanes, so no
// row waits for its last trees alone), fewer for forests of many trees, so that the scratch stays under
// about 1 MB (20 bytes a tree and row).
constexpr int kWalkChunkRows = 32;
inline int32_t WalkChunkRows(int32_t numTrees) {
  const int32_t rows = (1 << 20) / (20 * numTrees);
  return rows < 1 ? 1 : rows > kWalkChunkRows ? kWalkChunkRows : rows;
}

struct WalkScratch {
  // per item of a chunk: (item, leaf entry) as lanes finish, the leaf index, and where the item starts
  int32_t chunkRows;
  std::vector<int32_t> item, leaf, leafOf, itemRoot, itemRowOff;
  explicit WalkScratch(int32_t numTrees)
      : chunkRows(WalkChunkRows(numTrees)),
        item(static_cast<size_t>(numTrees) * chunkRows + 32),
        leaf(static_cast<size_t>(numTrees) * chunkRows + 32),
        leafOf(static_cast<size_t>(numTrees) * chunkRows),
        itemRoot(static_cast<size_t>(numTrees) * chunkRows + kWalkQueueSlack),
        itemRowOff(static_cast<size_t>(numTrees) * chunkRows + kWalkQueueSlack) {}
  size_t Bytes() const { return 4 * (item.size() + leaf.size() + leafOf.size() + itemRoot.size() + itemRowOff.size()); }
};

// Raw scores of n rows: rank rows at `ranks` (rankRowBytes apart), outputs to out[n * k].
void WalkRows(const WalkForest& f, WalkIsa isa, const uint8_t* ranks, int64_t n, double* out, WalkScratch* s);

}  // namespace lgbm_node
