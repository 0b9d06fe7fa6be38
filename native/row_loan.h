// Rows lent to a compiled forest's worker threads for the length of one synchronous batch. Each worker
// copies its own blocks of rows into WebAssembly memory, so the caller never writes cache lines that the
// worker's core holds. The caller writing them cost the shipped model's 2-thread 1,000-row batch about
// 10% (docs/compiled-engine.md, "Threads"). The batch's output array is lent the same way, writable: each
// thread copies its blocks' outputs into it, so the caller neither copies them all after the batch nor
// takes every fresh page's fault alone (11 µs a page on the VM this was measured on).
//
// Safety: a loan is a pointer into the caller's typed array. It lives only while the caller is blocked in
// the batch, which cannot free, detach or resize the array. The caller ends the loan once every block is
// done; ending waits for copies in flight, because copies hold the registry's shared lock. Every copy is
// checked against the loan's length and the destination's length. An environment torn down during a
// batch (its worker_thread terminated) ends its loans before its arrays are freed.
#pragma once

#include <napi.h>

namespace lgbm_node {

// lendRows(data: Float64Array) => token (a number > 0)
Napi::Value LendRows(const Napi::CallbackInfo& info);
// lendOutput(out: Float64Array) => token (a number > 0): a loan copyToLent writes into
Napi::Value LendOutput(const Napi::CallbackInfo& info);
// endLoan(token): after it returns, no copy from the loan runs or will run
Napi::Value EndLoan(const Napi::CallbackInfo& info);
// copyLent(token, srcByte, dst: TypedArray, dstByte, bytes) => false when the loan has ended
Napi::Value CopyLent(const Napi::CallbackInfo& info);
// copyToLent(token, src: TypedArray, srcByte, dstByte, bytes) => false when the loan has ended; the loan
// must be an output loan
Napi::Value CopyToLent(const Napi::CallbackInfo& info);

// openLoans() => loans not yet ended, in the whole process (for tests and diagnostics)
Napi::Value OpenLoans(const Napi::CallbackInfo& info);

// Ends every loan made by an environment (its AddonData going away).
void EndLoansOf(const void* owner);

}  // namespace lgbm_node
