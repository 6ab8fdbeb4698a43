// Federated training in Debian's Chromium against a real server: three enrolled hospitals whose
// real Participants train a small PneumoniaMNIST share through the in-process node hub. The data
// scientist starts a session from the form (its defaults, fewer rounds), watches the per-round
// chart grow live, sees the final accuracy and AUC, and downloads the model as tfjs and ONNX.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import type { Browser, Page } from "playwright-core";
import { initBackend } from "../../src/fl/backend.ts";
import { connectTrainingNodes, type TrainingNodes } from "../server/fl-nodes.ts";
import { collectErrors, launchBrowser, login, screenshot, startServer, type Server } from "./harness.ts";

const ROUNDS = 2;
const VAL_PER_NODE = 40; // test/fl/protocol/harness.ts hospitals()

let server: Server;
let training: TrainingNodes;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const scratch = mkdtempSync(join(tmpdir(), "medtrace-web-model-"));

before(async () => {
  await initBackend("wasm");
  server = await startServer({ sam: ["data-scientist"] });
  // the form's default dataset tag, so the session starts with the form's defaults
  training = await connectTrainingNodes(server.ctx, { perNode: 150, seed: "5", tag: "pneumoniamnist" });
  ({ browser, close: closeBrowser } = await launchBrowser());
});

after(async () => {
  await closeBrowser?.();
  await training?.close();
  await server?.close();
});

/** Every distinct row count of the first chart's data table, in the order the page rendered them. */
async function recordChartRows(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    const seen = (window.chartRows = []);
    new MutationObserver(() => {
      const body = document.querySelector("figure.chart table tbody");
      const rows = body ? body.querySelectorAll("tr").length : 0;
      if (rows !== seen[seen.length - 1]) seen.push(rows);
    }).observe(document, { childList: true, subtree: true });
  })()`);
}

/** Pixels of the first series' colour (#0b5cad) on a chart's canvas: the plotted line itself. */
function linePixels(page: Page, chart: number): Promise<number> {
  return page.evaluate<number>(`(() => {
    const canvas = document.querySelectorAll("figure.chart canvas")[${chart}];
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4)
      if (Math.abs(data[i] - 11) < 40 && Math.abs(data[i + 1] - 92) < 40 && Math.abs(data[i + 2] - 173) < 40 && data[i + 3] > 200) count++;
    return count;
  })()`);
}

async function download(page: Page, button: string, name: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: button }).click()]);
  const path = join(scratch, name);
  await file.saveAs(path);
  return readFileSync(path);
}

describe("web app: federated training", () => {
  test("a data scientist starts a session from the form, watches the chart grow per round, sees the final accuracy and AUC, and downloads the model", async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await recordChartRows(page);
    await login(page, server.url, "sam");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Training" }).click();
    await page.getByText("No training session yet.").waitFor();
    await screenshot(page, "training");
    await page.getByLabel("Rounds").fill(String(ROUNDS));
    await page.getByRole("button", { name: "Start training" }).click();
    await page.waitForURL(/\/training\/[0-9a-f-]{36}$/);
    const id = page.url().split("/").at(-1)!;

    const state = page.getByTestId("session-state");
    await state.getByText("completed").waitFor({ timeout: 120_000 });
    // the table of all three hospitals' final evaluations, announced over SSE after completion
    const final = page.getByTestId("final-eval");
    await final.getByText(String(3 * VAL_PER_NODE), { exact: true }).waitFor({ timeout: 30_000 });
    await screenshot(page, "training-session");

    // the chart's data table gained one row per completed round, rendered live as rounds ended
    const rowsSeen = await page.evaluate<number[]>("window.chartRows");
    assert.deepEqual(rowsSeen, [0, 1, 2], `chart rows as rendered: ${rowsSeen}`);
    const api = await server.app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: { authorization: `Bearer ${await token()}` } });
    const view = api.json() as { state: string; history: { round: number; metrics: { fedEval: { acc: number; auc: number }; participants: string[] } }[]; finalEval: { acc: number; auc: number; n: number }; modelHash: string };
    assert.equal(view.state, "completed");
    const accuracyRows = await page.locator("figure.chart").nth(1).locator("tbody tr").allTextContents();
    assert.deepEqual(accuracyRows, view.history.map((h) => `${h.round}${h.metrics.fedEval.acc.toFixed(4)}`));
    for (let chart = 0; chart < 3; chart++) {
      assert.match((await page.locator("figure.chart canvas").nth(chart).getAttribute("aria-label")) ?? "", new RegExp(`: ${ROUNDS} rounds, latest global \\d\\.\\d{3}$`));
      assert.ok((await linePixels(page, chart)) > 50, `chart ${chart} draws its line on the canvas`);
    }

    // final accuracy and AUC as the server computed them over every node's validation share
    assert.equal(view.finalEval.n, 3 * VAL_PER_NODE);
    const shown = await final.innerText();
    assert.match(shown, new RegExp(`Final accuracy\\s+${view.finalEval.acc.toFixed(4)}`));
    assert.match(shown, new RegExp(`Final AUC\\s+${view.finalEval.auc.toFixed(4)}`));
    // two short rounds on 450 images: the figures are real, not yet good (quality is the e2e test's)
    for (const value of [view.finalEval.acc, view.finalEval.auc]) assert.ok(value >= 0 && value <= 1, `${value}`);

    // every hospital took part in every round
    const hospitals = page.getByRole("table", { name: "Hospitals asked to take part" });
    for (const n of training.nodes) {
      assert.match(await hospitals.getByRole("row").filter({ hasText: n.nodeId }).innerText(), /accepted\s+\d+\s+no\s+1, 2\s+none/);
    }

    const tfjs = await download(page, "Download model (tfjs)", "model.zip");
    const files = unzipSync(tfjs);
    const modelJson = JSON.parse(Buffer.from(files["model.json"]).toString()) as { userDefinedMetadata: { medtrace: { modelHash: string } } };
    assert.equal(modelJson.userDefinedMetadata.medtrace.modelHash, view.modelHash);
    assert.ok(files["weights.bin"].length > 1000);
    const onnx = await download(page, "Download model (ONNX)", "model.onnx");
    assert.ok(onnx.length > 1000);
    assert.equal(createHash("sha256").update(onnx).digest("hex"), releasedOnnxHash(id), "the ONNX file is the one the ledger recorded as released");

    // the session is listed for its creator by the server, not by this browser
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Training" }).click();
    const listed = page.getByRole("table", { name: "Training sessions, newest first" }).getByRole("row").filter({ hasText: id.slice(0, 8) });
    assert.match(await listed.innerText(), /completed.*sam/s);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

async function token(): Promise<string> {
  return (await server.ctx.tokens.issue({ sub: server.users.sam.id, name: "sam", roles: ["data-scientist"] })).token;
}

function releasedOnnxHash(sessionId: string): string | undefined {
  for (let k = 0; k < server.ctx.ledger.size; k++) {
    const e = server.ctx.ledger.entry(k).entry;
    const body = e.body as { sessionId?: string; modelSha256?: { onnx: string } };
    if (e.type === "model.released" && body.sessionId === sessionId) return body.modelSha256?.onnx;
  }
  return undefined;
}
