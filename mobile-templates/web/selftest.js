// Output maths shared by the page: softmax, top-k, median latency, the self-test comparison.

export function softmax(logits) {
  const max = Math.max(...logits);
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

export function topK(probs, k) {
  return Array.from(probs, (prob, index) => ({ index, prob }))
    .sort((a, b) => b.prob - a.prob || a.index - b.index)
    .slice(0, k);
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The tolerance to apply ({kind, abs, rel, reason}): the template's fixed one
 * (config.toleranceFixed), else expected.json's "tolerance" (derived from what the desktop
 * measured for this variant), else config.tolerance (the runtime's default).
 */
export function toleranceFor(expected, config) {
  if (config.toleranceFixed || !expected || typeof expected.tolerance !== "object" || !expected.tolerance) {
    return config.tolerance;
  }
  return expected.tolerance;
}

/**
 * The largest |diff| accepted: "absolute" (fp32): tolerance.abs; "top1+relative" (int8,
 * float16): tolerance.rel x the range of the expected logits. A number is an absolute bound.
 */
export function toleranceBound(tolerance, expectedLogits) {
  if (typeof tolerance === "number") return tolerance;
  if (tolerance.kind === "top1+relative" && tolerance.rel != null && expectedLogits.length) {
    return tolerance.rel * (Math.max(...expectedLogits) - Math.min(...expectedLogits));
  }
  return tolerance.abs;
}

/** Compare logits with the desktop's expected.json: same top-1 and max |diff| <= the bound. */
export function selfTest(logits, expected, tolerance) {
  const maxDiff = maxAbsDiff(Array.from(logits), expected.logits);
  const sameTop1 = argmax(logits) === expected.top1_index;
  const bound = toleranceBound(tolerance, expected.logits);
  const kind = typeof tolerance === "number" ? "absolute" : tolerance.kind;
  return { passed: sameTop1 && maxDiff <= bound, maxDiff, sameTop1, bound, kind };
}

/**
 * What the page shows under the verdict: "max diff 1.20e-6 (tolerance 1.00e-3)", for int8 /
 * float16 "... = 0.25 x logit range", "· top-1 differs" on failure, then the reason.
 */
export function selfTestNote(test, tolerance) {
  const diff = Number.isFinite(test.maxDiff) ? test.maxDiff.toExponential(2) : "not finite";
  const rel = test.kind === "top1+relative" ? ` = ${Number(tolerance.rel.toPrecision(2))} x logit range` : "";
  const reason = typeof tolerance === "object" && tolerance.reason ? ` — ${tolerance.reason}` : "";
  return `max diff ${diff} (tolerance ${test.bound.toExponential(2)}${rel})` +
    (test.sameTop1 ? "" : " · top-1 differs") + reason;
}
