/**
 * Debian's headless Chromium driven by playwright-core (never `npx playwright install`: the browser is
 * /usr/bin/chromium), off the network, and a record of everything a page got wrong: console errors,
 * uncaught exceptions, failed requests, HTTP errors and Content-Security-Policy violations.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM } from "./chromium.js";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
  });
}

export interface PageProblems {
  /** Console errors and warnings, uncaught exceptions, failed or refused requests, CSP violations. */
  all: string[];
}

/** Listens to a page for anything that went wrong (call before the page loads). */
export async function watchPage(
  page: Page,
  allowStatus: (url: string, status: number) => boolean = () => false,
) {
  const problems: PageProblems = { all: [] };
  page.on("console", (m) => {
    // A failed load is also a response below, with its URL (where allowStatus can accept it).
    if (/^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    if (m.type() === "error" || m.type() === "warning") problems.all.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.all.push(`exception: ${e.message}`));
  page.on("requestfailed", (r) => problems.all.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400 && !allowStatus(r.url(), r.status()))
      problems.all.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await page.exposeFunction("__cspViolation", (s: string) => problems.all.push(`CSP: ${s}`));
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " (" + e.sourceFile + ":" + e.lineNumber + ")"));`,
  });
  return problems;
}
