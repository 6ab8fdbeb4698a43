// Browser-test harness: a real medtrace server (createServerContext + buildApp, SQLite in a temp
// folder, 127.0.0.1 port 0) serving the production bundle, and Debian's Chromium driven by
// playwright-core (never a downloaded browser).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../../src/server/context.ts";
import { WEB_ROOT } from "../../src/server/routes/web.ts";
import { startServer as startMedtrace } from "../../src/server/start.ts";
import type { Role } from "../../src/server/config.ts";

export const CHROMIUM = process.env.MEDTRACE_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(process.cwd(), "test-output", "screenshots");
export const PASSWORD = "correct horse battery staple";

/** Newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

/** npm ci builds the bundle (prepare); a checkout without it, or with web/ edited since, rebuilds here. */
export function ensureBundle(): void {
  const index = join(WEB_ROOT, "index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(process.cwd(), "web"))) return;
  const result = spawnSync("npm", ["run", "build:web"], { stdio: "inherit" });
  if (result.status !== 0) throw new Error("npm run build:web failed");
}

export interface Server {
  ctx: ServerContext;
  app: FastifyInstance;
  url: string;
  users: Record<string, { id: string; username: string }>;
  close(): Promise<void>;
}

export async function startServer(accounts: Record<string, Role[]>): Promise<Server> {
  ensureBundle();
  const dataDir = mkdtempSync(join(tmpdir(), "medtrace-web-"));
  // The same start-up as `medtrace server`: plain HTTP, loopback only, SQLite in the data folder.
  const { ctx, app, url, close } = await startMedtrace({ dataDir, host: "127.0.0.1", port: 0, consortiumId: "web-test.medtrace" });
  const users: Server["users"] = {};
  for (const [username, roles] of Object.entries(accounts)) {
    const user = await ctx.users.create({ username, password: PASSWORD, roles, mustChangePassword: false });
    users[username] = { id: user.id, username };
  }
  return {
    ctx,
    app,
    url,
    users,
    async close() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** playwright-core gives every launch a fresh, temporary profile (its own --user-data-dir). */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

export async function login(page: Page, base: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Browser errors fail the test: an uncaught exception or a console error is a bug in the app. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // A refused or absent route is an HTTP answer the page shows, not an app error.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(`console: ${m.text()}`);
  });
  return errors;
}
