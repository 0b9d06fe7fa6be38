#!/usr/bin/env node
// Checks (default) or fills in (--write) scripts/lightgbm-pin.json from the official wheels: for each
// platform, `pip download --platform` the wheel of the pinned LightGBM version, and record its sha256, the
// library member inside it and that member's sha256. --write fills only the empty (null) entries and never
// changes a checksum already pinned: a different file for a pinned platform is reported as a mismatch.
// Exit 1 when any platform is unpinned or mismatched (the release workflow's first job runs the check).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { downloadWheel, extractMember, InstallError, sha256, wheelMembers } from "./lightgbm-library.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pinPath = join(root, "scripts/lightgbm-pin.json");
const pin = JSON.parse(readFileSync(pinPath, "utf8"));
const { values } = parseArgs({
  options: { write: { type: "boolean" }, platform: { type: "string", multiple: true } },
});
const keys = values.platform ?? Object.keys(pin.platforms);
let bad = 0;

for (const key of keys) {
  const entry = pin.platforms[key];
  if (!entry) throw new Error(`unknown platform ${key}`);
  const work = mkdtempSync(join(tmpdir(), "lgbm-pin-"));
  try {
    const wheel = downloadWheel(pin.version, entry.pipPlatform, work);
    const member = wheelMembers(wheel).find((m) => m.endsWith(`/${entry.library}`));
    if (!member) throw new InstallError(`${basename(wheel)} has no ${entry.library}`, []);
    extractMember(wheel, member, join(work, entry.library));
    const found = {
      wheel: basename(wheel),
      wheelSha256: sha256(wheel),
      member,
      librarySha256: sha256(join(work, entry.library)),
    };
    if (entry.wheelSha256 === null) {
      if (values.write) {
        Object.assign(entry, found);
        console.log(`${key}: pinned ${found.wheel} (${found.wheelSha256})`);
      } else {
        console.log(`${key}: not pinned yet; the official wheel is ${found.wheel} (${found.wheelSha256})`);
        bad++;
      }
    } else if (entry.wheelSha256 !== found.wheelSha256 || entry.librarySha256 !== found.librarySha256) {
      console.log(
        `${key}: MISMATCH: pinned ${entry.wheelSha256}, downloaded ${found.wheel} ${found.wheelSha256}`,
      );
      bad++;
    } else {
      console.log(`${key}: ok (${found.wheel})`);
    }
  } catch (err) {
    if (!(err instanceof InstallError)) throw err;
    console.log(`${key}: ${err.message.split("\n").slice(0, 3).join(" ")}`);
    bad++;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
if (values.write) writeFileSync(pinPath, `${JSON.stringify(pin, null, 2)}\n`);
process.exit(bad > 0 ? 1 : 0);
