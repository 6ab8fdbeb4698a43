// The web app in Debian's Chromium against a real server: sign-in, role-aware navigation, a data
// scientist refused DPO pages (in the UI and by the API), admin pages with real data or an honest
// unavailable state, and the cornerstone3D viewer rendering real CT pixels from local files.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { dataPath } from "../../src/util/data-path.ts";
import { collectErrors, launchBrowser, login, screenshot, startServer, type Server } from "./harness.ts";

let server: Server;
let browser: Browser;
let closeBrowser: () => Promise<void>;

before(async () => {
  server = await startServer({
    dana: ["dpo"],
    sam: ["data-scientist"],
    hana: ["hospital-admin"],
    carl: ["consortium-admin"],
  });
  ({ browser, close: closeBrowser } = await launchBrowser());
});

after(async () => {
  await closeBrowser?.();
  await server?.close();
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  return { page, errors: collectErrors(page) };
}

describe("web app: sign-in, roles, viewer", () => {
  test("sign-in: a wrong password is refused with a message, the right one opens the role's pages", async () => {
    const { page, errors } = await newPage();
    await page.goto(`${server.url}/ledger`);
    await page.waitForURL(/\/login\?next=%2Fledger/);
    await screenshot(page, "login");
    await page.getByLabel("User name").fill("dana");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /invalid username or password/);
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/ledger$/);
    const nav = page.getByRole("navigation", { name: "Main" });
    const links = await nav.getByRole("link").allInnerTexts();
    assert.deepEqual(links, ["Audit log", "Ledger", "Trace a file", "Alerts"]);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test("a data scientist sees no DPO page, cannot open one, and the API refuses it too", async () => {
    const { page, errors } = await newPage();
    await login(page, server.url, "sam");
    const links = await page.getByRole("navigation", { name: "Main" }).getByRole("link").allInnerTexts();
    assert.ok(links.includes("Request data"));
    for (const dpoPage of ["Audit log", "Ledger", "Trace a file", "Alerts"]) assert.ok(!links.includes(dpoPage), `${dpoPage} linked for a data scientist`);
    for (const path of ["/audit", "/ledger", "/trace", "/alerts"]) {
      await page.goto(`${server.url}${path}`);
      await page.getByRole("heading", { name: "Not allowed" }).waitFor();
      assert.equal(await page.getByLabel("Trace a suspect file").count(), 0);
    }
    await screenshot(page, "forbidden-for-data-scientist");
    // Runs in the page (a string: the test project's TypeScript has no DOM types).
    const status = await page.evaluate<number>(`fetch("/api/audit/events", {
      headers: { authorization: "Bearer " + sessionStorage.getItem("medtrace.token") },
    }).then((r) => r.status)`);
    assert.equal(status, 403);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test("viewer: cornerstone3D renders a real CT slice (pixels, not only the DOM) and takes keyboard tool changes", async () => {
    const { page, errors } = await newPage();
    await login(page, server.url, "sam");
    await page.goto(`${server.url}/viewer/local`);
    await page.getByLabel(/Open DICOM files/).setInputFiles([dataPath("ct-head", "slice-010.dcm"), dataPath("ct-head", "slice-011.dcm")]);
    const viewport = page.getByRole("application", { name: /Image viewport/ });
    await page.locator('.viewport[data-rendered="yes"]').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId("viewer-position").innerText(), "Image 1 of 2");
    const stats = await page.evaluate<{ width: number; height: number; levels: number; bright: number; total: number }>(`(() => {
      const canvas = document.querySelector(".viewport canvas");
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      const levels = new Set();
      let bright = 0;
      for (let i = 0; i < data.length; i += 4) {
        levels.add(data[i]);
        if (data[i] > 64) bright++;
      }
      return { width: canvas.width, height: canvas.height, levels: levels.size, bright, total: data.length / 4 };
    })()`);
    assert.ok(stats.width > 0 && stats.height > 0);
    // A CT head slice drawn with its window: many grey levels, and a skull/brain region well above black.
    assert.ok(stats.levels > 50, `only ${stats.levels} grey levels on the canvas`);
    assert.ok(stats.bright > stats.total * 0.05, `only ${stats.bright} bright pixels of ${stats.total}`);
    await viewport.focus();
    await page.keyboard.press("ArrowDown");
    await page.getByTestId("viewer-position").getByText("Image 2 of 2").waitFor();
    await page.keyboard.press("l");
    assert.equal(await page.getByRole("button", { name: "Length" }).getAttribute("aria-pressed"), "true");
    await screenshot(page, "viewer");
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test("hospital and consortium admin pages show real data or an honest unavailable state", async () => {
    const { page, errors } = await newPage();
    await login(page, server.url, "carl");
    await page.goto(`${server.url}/users`);
    const table = page.getByRole("table");
    await table.getByText("sam").waitFor();
    await screenshot(page, "users");
    await page.getByLabel(/^User name/).fill("nora");
    await page.getByLabel("dpo").last().check();
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText(/User nora created\. One-time password .*: \S{12,}/).waitFor();
    await table.getByText("nora").waitFor();

    await page.goto(`${server.url}/nodes`);
    await page.getByRole("heading", { name: "Nodes" }).waitFor();
    await page.getByText("No node enrolled yet.").waitFor();
    await page.getByLabel(/^Node id/).fill("hospital-z");
    await page.getByLabel(/^Display name/).fill("Hospital Z");
    await page.getByRole("button", { name: "Create node and enrolment token" }).click();
    const command = await page.locator("pre").filter({ hasText: "medtrace node enrol" }).innerText();
    assert.match(command, new RegExp(`^medtrace node enrol --server ${server.url} --node-id hospital-z --token [A-Za-z0-9_-]{20,}$`));
    const row = page.getByRole("row").filter({ hasText: "hospital-z" });
    await row.getByText("pending").waitFor();
    await screenshot(page, "nodes");
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Revoke node hospital-z" }).click();
    await row.getByText("revoked").first().waitFor();
    await page.context().close();

    const hospital = await newPage();
    await login(hospital.page, server.url, "hana");
    for (const [path, name] of [["/node", "node-status"], ["/catalogue", "catalogue"], ["/approvals", "approvals"]] as const) {
      await hospital.page.goto(`${server.url}${path}`);
      // Settled: a table, an empty state, or "not available on this server" (a route not built yet).
      await hospital.page.locator("table, .status.empty, .status.unavailable").first().waitFor();
      assert.equal(await hospital.page.locator(".status.error").count(), 0, `${path} shows an error`);
      await screenshot(hospital.page, name);
    }
    assert.deepEqual([...errors, ...hospital.errors], []);
    await hospital.page.context().close();
  });
});
