// LightGBM's log output, captured instead of printed raw to stderr/stdout.
#pragma once

#include <string>
#include <vector>

namespace lgbm_node {

// Registers our log callback for the calling thread. LightGBM keeps the callback in a thread-local,
// so every thread that calls into it (the JS thread, each worker_thread, libuv's pool threads running
// async work) must register; this is cheap after the first call on a thread.
void InstallLogCallback();
// Appends LightGBM output (pieces are joined up to each newline) to the capture buffer.
void CaptureLogLine(const char* msg);
// Takes and clears the lines logged so far, by any thread (bounded buffer; oldest lines dropped).
std::vector<std::string> TakeLogLines();

}  // namespace lgbm_node
