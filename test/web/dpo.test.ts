// The DPO's pages in Debian's Chromium against a real server: a leaked copy (issued through the
// server's own ledger) traced to its recipient with evidence that verifies offline, the trace hit
// pushed live over SSE, the ledger as blocks with a chain verification, and the audit log filters.
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

describe("web app: DPO", () => {
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
});
