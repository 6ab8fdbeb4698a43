// A data scientist in Debian's Chromium: requests CT images through the form, follows the request
// until the hospitals (real src/edge handlers over CT slices) answered and the grant exists, opens
// the grant in the cornerstone3D viewer over our DICOMweb endpoint (pixels checked), draws a
// rectangle, labels it and saves the annotation, which reaches the hospital node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startEnv, type Env } from "../server/data-access-support.ts";
import { collectErrors, ensureBundle, launchBrowser, login, screenshot } from "./harness.ts";

let env: Env;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let sam: { id: string; token: string };

before(async () => {
  ensureBundle();
  env = await startEnv("sqlite", { "hospital-a": [10, 11, 12] });
  sam = await env.user("sam", ["data-scientist"]);
  ({ browser, close: closeBrowser } = await launchBrowser());
});

after(async () => {
  await closeBrowser?.();
  await env?.close();
});

interface CanvasStats { levels: number; bright: number; total: number }

/** Grey levels and bright pixels of the viewport's canvas, read in the page (a string: no DOM types here). */
function canvasStats(page: Page): Promise<CanvasStats> {
  return page.evaluate<CanvasStats>(`(() => {
    const canvas = document.querySelector(".viewport canvas");
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const levels = new Set();
    let bright = 0;
    for (let i = 0; i < data.length; i += 4) {
      levels.add(data[i]);
      if (data[i] > 64) bright++;
    }
    return { levels: levels.size, bright, total: data.length / 4 };
  })()`);
}

describe("data access in the browser", () => {
  test("request -> grant -> viewer renders the marked copy -> rectangle + label saved to the hospital", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await login(page, env.base, "sam", "pw-sam-long-enough");

    await page.getByRole("link", { name: "Request data" }).click();
    assert.equal(await page.getByLabel("CT").isChecked(), true, "CT is the default modality");
    await page.getByLabel(/Purpose/).fill("research");
    await page.getByLabel("Maximum number of images").fill("3");
    await screenshot(page, "request-form");
    await page.getByRole("button", { name: "Send request" }).click();
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    await page.getByTestId("request-status").getByText("done").waitFor({ timeout: 60_000 });
    const grantCard = page.locator(".card").filter({ has: page.getByRole("heading", { name: "Grant" }) });
    assert.match(await grantCard.innerText(), /Images\s+3/);
    assert.match(await page.getByTestId("grant-expiry").innerText(), /\d{4}-\d{2}-\d{2} .* UTC \(\d+ (h|min)/);
    await page.getByRole("button", { name: "Open in 3D Slicer" }).click();
    const slicer = await page.getByRole("link", { name: "Open study 1 in 3D Slicer" }).getAttribute("href");
    assert.match(slicer ?? "", /^slicer:\/\/viewer\/\?studyUID=[0-9.]+&dicomweb_endpoint=.*&access_token=/);
    await screenshot(page, "request");

    await page.getByRole("link", { name: "Open in viewer" }).click();
    await page.locator('.viewport[data-rendered="yes"]').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId("viewer-position").innerText(), "Image 1 of 3");
    const stats = await canvasStats(page);
    assert.ok(stats.levels > 50, `only ${stats.levels} grey levels on the canvas`);
    assert.ok(stats.bright > stats.total * 0.05, `only ${stats.bright} bright pixels of ${stats.total}`);

    await page.getByRole("button", { name: "Rectangle ROI" }).click();
    const box = (await page.getByRole("application", { name: /Image viewport/ }).boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx - 60, cy - 40);
    await page.mouse.down();
    await page.mouse.move(cx + 20, cy + 10, { steps: 6 });
    await page.mouse.move(cx + 60, cy + 40, { steps: 6 });
    await page.mouse.up();
    await page.getByLabel("Label", { exact: true }).fill("lesion");
    await page.getByRole("button", { name: "Add label" }).click();
    await page.getByRole("button", { name: "Save annotation" }).click();
    await page.getByText(/^Annotation saved/).waitFor({ timeout: 30_000 });
    await screenshot(page, "viewer-annotation");
    if (process.env.MEDTRACE_UPDATE_README_SCREENSHOT === "1") {
      // The README's picture changes only when asked: a test run must not edit committed files.
      mkdirSync("docs", { recursive: true });
      await page.evaluate("window.scrollTo(0, 0)");
      await page.screenshot({ path: join("docs", "screenshot.png") });
    }

    const grantId = new URL(page.url()).pathname.split("/").pop()!;
    const saved = await env.call("GET", `/api/grants/${grantId}/annotations`, { token: sam.token });
    assert.equal(saved.status, 200);
    assert.equal(saved.json.annotations.length, 1);
    const [annotation] = saved.json.annotations;
    assert.deepEqual(annotation.labels, ["lesion"]);
    assert.equal(annotation.nodeId, "hospital-a");
    assert.equal(annotation.regions.length, 1);
    const [[x0, y0], [x1, y1]] = annotation.regions[0].points as [number, number][];
    assert.equal(annotation.regions[0].kind, "rect");
    assert.ok(x1 > x0 && y1 > y0, "the rectangle has a size in image pixels");
    assert.ok(x0 >= 0 && y0 >= 0 && x1 <= 512 && y1 <= 512, "the rectangle lies inside the 512x512 slice");
    assert.equal(annotation.measurements[0]?.kind, "area");
    assert.deepEqual(errors, []);
    await context.close();
  });
});
