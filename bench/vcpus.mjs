#!/usr/bin/env node
// What the host gives each vCPU now, once or every few seconds (bench/lib/vcpus.mjs): a check before a
// bench run whose 2-thread cells depend on it.
//   node bench/vcpus.mjs [--watch 10]      (--watch: that many probes, one a second)
import { describeVcpus, probeVcpus, vcpuProbeAvailable } from "./lib/vcpus.mjs";

if (!vcpuProbeAvailable()) {
  console.error("needs Linux, taskset and at least 2 CPUs");
  process.exit(1);
}
const i = process.argv.indexOf("--watch");
const times = i > 0 ? Number(process.argv[i + 1]) : 1;
for (let k = 0; k < times; k++) {
  const p = await probeVcpus();
  console.log(`${new Date().toISOString().slice(11, 19)} ${describeVcpus(p)}`);
  if (k + 1 < times) await new Promise((r) => setTimeout(r, 1000));
}
