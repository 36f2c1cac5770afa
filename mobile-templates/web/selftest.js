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

/** Compare logits with the desktop's expected.json: same top-1 and max |diff| <= tolerance. */
export function selfTest(logits, expected, tolerance) {
  const maxDiff = maxAbsDiff(Array.from(logits), expected.logits);
  const sameTop1 = argmax(logits) === expected.top1_index;
  return { passed: sameTop1 && maxDiff <= tolerance, maxDiff, sameTop1 };
}
