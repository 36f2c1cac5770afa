#!/usr/bin/env node
// Serve this folder on http://127.0.0.1:8000 (WebAssembly needs http, not file://).
// Usage: node serve.js [PORT]   (or: npm install && npm start)
// No dependencies: Node's http module. A runtime file missing from ort/ is served from
// node_modules/onnxruntime-web/dist/, one missing from litert/ from node_modules/@litertjs/
// (what `npm install` fetches, pinned in package.json).
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const ROOT = __dirname;
const ORT_DIST = path.join(ROOT, "node_modules", "onnxruntime-web", "dist");
const LITERT_ROOT = path.join(ROOT, "node_modules", "@litertjs");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".tflite": "application/octet-stream",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/** The file a URL path names inside ROOT (or the npm runtime for ort/, litert/), or null. */
function resolve(urlPath) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath.split("?")[0]);
  } catch {
    return null;
  }
  if (rel.endsWith("/")) rel += "index.html";
  const file = path.resolve(ROOT, "." + rel);
  if (file !== ROOT && !file.startsWith(ROOT + path.sep)) return null; // no ../ escapes
  if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  const parts = path.relative(ROOT, file).split(path.sep);
  if (parts.length === 2 && parts[0] === "ort") {
    const fromNpm = path.join(ORT_DIST, parts[1]);
    if (fs.existsSync(fromNpm) && fs.statSync(fromNpm).isFile()) return fromNpm;
  }
  if (parts.length > 1 && parts[0] === "litert") { // litert/core/wasm/... = @litertjs/core/wasm/...
    const fromNpm = path.join(LITERT_ROOT, ...parts.slice(1));
    if (fs.existsSync(fromNpm) && fs.statSync(fromNpm).isFile()) return fromNpm;
  }
  return null;
}

const server = http.createServer((req, res) => {
  const file = req.method === "GET" || req.method === "HEAD" ? resolve(req.url) : null;
  // Cross-origin isolation gives the page a fine-grained timer for the latency figure.
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
  res.setHeader("Cache-Control", "no-cache");
  if (!file) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("not found\n");
    return;
  }
  const type = TYPES[path.extname(file).toLowerCase()] || "application/octet-stream";
  res.writeHead(200, { "Content-Type": type, "Content-Length": fs.statSync(file).size });
  if (req.method === "HEAD") return res.end();
  fs.createReadStream(file).pipe(res);
});

const port = Number(process.argv[2] || process.env.PORT || 8000);
server.listen(port, "127.0.0.1", () => {
  console.log(`Serving on http://127.0.0.1:${server.address().port}/ (Ctrl+C stops)`);
});
