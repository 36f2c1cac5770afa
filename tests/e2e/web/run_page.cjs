// Open a generated Web project in headless Chromium and print what the page computed.
//
// usage: node run_page.cjs URL [SCREENSHOT.png|-] [IMAGE_TO_CHOOSE]
// env:   PLAYWRIGHT_CORE (path of the playwright-core package), CHROMIUM (default /usr/bin/chromium)
//
// Prints one JSON object: {result, labels, appName, title, heading, top3, status, consoleErrors}
// and, when IMAGE_TO_CHOOSE is given, `chosen`: what the page shows after choosing that file
// with the "Choose image" button.
// Exits 1 when the page never writes #result within the timeout.
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

async function main() {
  const [url, screenshot, chosenImage] = process.argv.slice(2);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ds-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 900, height: 860 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
  const consoleErrors = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
    page.on("pageerror", (err) => consoleErrors.push(String(err)));
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(
      () => document.getElementById("result")?.textContent.trim().length > 0,
      null, { timeout: 120000 });
    // The status line is written last; give the page a moment to settle before the screenshot.
    await page.waitForFunction(
      () => !/Loading|Measuring/.test(document.getElementById("status").textContent),
      null, { timeout: 60000 }).catch(() => {});
    const out = await page.evaluate(() => ({
      result: JSON.parse(document.getElementById("result").textContent),
      labels: window.deployStudio ? window.deployStudio.labels : null,
      appName: window.APP_CONFIG ? window.APP_CONFIG.appName : null,
      title: document.title,
      heading: document.getElementById("app-name").textContent,
      top3: Array.from(document.querySelectorAll("#top3 .label"), (el) => el.textContent),
      status: document.getElementById("status").textContent,
    }));
    if (screenshot && screenshot !== "-") await page.screenshot({ path: screenshot, fullPage: true });
    if (chosenImage) {
      const name = path.basename(chosenImage);
      await page.setInputFiles("#pick", chosenImage);
      await page.waitForFunction(
        (expected) => document.getElementById("source").textContent === expected &&
          /^(Prediction|Error)/.test(document.getElementById("status").textContent),
        name, { timeout: 60000 });
      out.chosen = await page.evaluate(() => ({
        status: document.getElementById("status").textContent,
        source: document.getElementById("source").textContent,
        top3: Array.from(document.querySelectorAll("#top3 .label"), (el) => el.textContent),
        result: JSON.parse(document.getElementById("result").textContent),
      }));
    }
    out.consoleErrors = consoleErrors;
    process.stdout.write(JSON.stringify(out));
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(1);
});
