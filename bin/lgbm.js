#!/usr/bin/env node
// The CLI entry: the compiled TypeScript lives in dist/ (built by `npm install` / `npm run build:ts`).
import { main } from "../dist/cli/main.js";

await main();
