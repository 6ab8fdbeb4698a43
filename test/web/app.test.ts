// The web app in Debian's Chromium against a real server: sign-in, role separation, a DPO tracing a
// leaked copy (issued through the server's own ledger) and downloading verifiable evidence, the
// ledger explorer, live alerts over SSE, and the cornerstone3D viewer rendering real CT pixels.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { verifyEvidence } from "../../src/ledger/index.ts";
import { issueCopy } from "../../src/tracing/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { collectErrors, launchBrowser, login, screenshot, startServer, type Server } from "./harness.ts";

let server: Server;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const scratch = mkdtempSync(join(tmpdir(), "medtrace-web-files-"));

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

/** A marked copy of a real CT slice issued to `sam` through the server's ledger, as a leak would be found. */
async function leakedCopy(grantId: string): Promise<string> {
  const copy = await issueCopy(
    {
      bytes: new Uint8Array(readFileSync(dataPath("ct-head", "slice-010.dcm"))),
      recipient: server.users.sam.id,
      consortium: server.ctx.config.consortiumId,
      hospital: "hospital-a",
      grantId,
      requestId: `req-${grantId}`,
    },
    { ledger: server.ctx.ledger, master: server.ctx.master },
  );
  const path = join(scratch, `leaked-${grantId}.dcm`);
  writeFileSync(path, copy.bytes);
  return path;
}

describe("web app", () => {
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

  test("DPO: the alerts feed is live, a leaked copy is traced to its recipient, and the evidence verifies offline", async () => {
    const leaked = await leakedCopy("grant-web-1");
    const { page: alertsPage, errors: alertErrors } = await newPage();
    await login(alertsPage, server.url, "dana");
    await alertsPage.goto(`${server.url}/alerts`);
    await alertsPage.getByText("Live: new alerts appear here").waitFor();

    const { page, errors } = await newPage();
    await login(page, server.url, "dana");
    await page.goto(`${server.url}/trace`);
    await page.getByLabel(/Drop a DICOM or PNG file here/).setInputFiles(leaked);
    const result = page.getByTestId("trace-result");
    await result.waitFor({ timeout: 60_000 });
    assert.match(await result.getByRole("heading").innerText(), /Copy identified/);
    const recipient = await page.getByTestId("trace-recipient").innerText();
    assert.match(recipient, new RegExp(`^sam \\(user ${server.users.sam.id}, pseudonym u:[0-9a-f]{32}\\)$`));
    assert.match(await result.innerText(), /grant-web-1/);
    await screenshot(page, "trace");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download evidence bundle" }).click()]);
    const saved = join(scratch, "evidence.json");
    await download.saveAs(saved);
    const verified = verifyEvidence(readFileSync(saved, "utf8"), server.ctx.ledger.vkey);
    assert.ok(verified, "the downloaded evidence verifies against the ledger's key");

    // The trace hit was raised as an alert and pushed over SSE to the open alerts page.
    const live = alertsPage.getByRole("list", { name: "Alerts, newest first" }).getByText(/leaked image traced .* to sam/);
    await live.waitFor({ timeout: 15_000 });
    await screenshot(alertsPage, "alerts");
    assert.deepEqual(errors, []);
    assert.deepEqual(alertErrors, []);
    await page.context().close();
    await alertsPage.context().close();
  });

  test("DPO: the ledger shows the copy as a block, the chain verifies, the audit log lists the trace", async () => {
    const { page, errors } = await newPage();
    await login(page, server.url, "dana");
    await page.goto(`${server.url}/ledger`);
    const blocks = page.getByRole("list", { name: "Ledger entries, newest first" });
    await blocks.waitFor();
    const shared = blocks.getByRole("listitem").filter({ hasText: "image.shared" }).first();
    const text = await shared.innerText();
    assert.match(text, /Recipient\s+u:[0-9a-f]{32}/);
    assert.match(text, /Token\s+[0-9a-f]{16,32}/);
    assert.match(text, /Consortium\s+web-test\.medtrace/);
    await page.getByRole("button", { name: "Verify the whole chain" }).click();
    await page.getByTestId("ledger-verify").waitFor();
    assert.match(await page.getByTestId("ledger-verify").innerText(), /^Chain verified/);
    await screenshot(page, "ledger");

    await page.goto(`${server.url}/audit`);
    await page.getByLabel("Action").fill("trace.perform");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByRole("table").getByText("trace.perform").first().waitFor();
    await screenshot(page, "audit");
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
    await page.goto(`${server.url}/nodes`);
    await page.getByRole("heading", { name: "Nodes" }).waitFor();
    await page.locator("table, .status.empty, .status.unavailable").first().waitFor();
    await screenshot(page, "nodes");
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
