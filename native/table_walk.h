// TableWalk: the compiled forest's table walk (src/compiled/walk.ts) run by the SIMD kernels of
// walk_kernel.cc, for the native engine's single rows and small batches. The WebAssembly module still
// ranks each row (its `rank` export, into its memory); this walks the rank rows with gathers.
#pragma once

#include <napi.h>

#include <memory>

#include "external_memory.h"
#include "walk_kernel.h"

namespace lgbm_node {

class TableWalk : public Napi::ObjectWrap<TableWalk> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new TableWalk(tables: Uint8Array, spec: Int32Array [tableBase, entriesAt, entriesEnd, groupsAddr,
  //   numTrees, k, rankRowBytes, categorical], isa: "auto" | "avx512" | "avx2")
  explicit TableWalk(const Napi::CallbackInfo& info);

 private:
  // run(ranks: Uint8Array, n, out: Float64Array): raw scores of the n rank rows at ranks into out[n * k]
  Napi::Value Run(const Napi::CallbackInfo& info);
  // bindRow(ranks: Uint8Array, out: Float64Array): a function run() that walks the one rank row at ranks
  // into out (k values); no arguments to check on the single-row hot path
  Napi::Value BindRow(const Napi::CallbackInfo& info);
  Napi::Value Isa(const Napi::CallbackInfo& info);
  // bytes: the native memory this walker holds (the tables' copy and its scratch)
  Napi::Value Bytes(const Napi::CallbackInfo& info);
  // TableWalk.isas(): the kernels this CPU runs, best first
  static Napi::Value Isas(const Napi::CallbackInfo& info);

  size_t HeldBytes() const;

  std::shared_ptr<WalkForest> forest_;
  std::shared_ptr<WalkScratch> scratch_;
  WalkIsa isa_ = WalkIsa::kNone;
  ExternalMemory external_;
};

}  // namespace lgbm_node
