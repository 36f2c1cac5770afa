import Foundation

/// A detector's post-processing spec (core/tasks/detection.py PostProcess). `scoreThreshold`:
/// keep scores strictly above it (compared in float32, as numpy compares float32 scores);
/// `iouThreshold`: NMS drops a box whose IoU (float64) with a kept better box of its class is
/// above it; `background`: a score column that is never a detection (-1: none); `activation`:
/// "none", "softmax" (over classes) or "sigmoid"; `topkCandidates`: per class, the best scores
/// kept before NMS (0: all); `hasLabels`: the model outputs final per-box labels (then scores
/// are one per box and only the threshold and the cap apply).
struct PostProcessSpec: Sendable {
    let scoreThreshold: Float
    let iouThreshold: Double
    let maxDetections: Int
    let background: Int
    let activation: String
    let classAgnostic: Bool
    let topkCandidates: Int
    var hasLabels: Bool = false
}

/// One detection: `box` x0, y0, x1, y1 in input pixels, its `score` and class `label`.
struct Detection: Sendable {
    let box: [Float]
    let score: Float
    let label: Int
}

/// core.tasks.detection.postprocess() for one sample, step by step and with the same
/// tie-breaking (numpy's stable sorts over the same candidate order: every sort here breaks
/// ties by the earlier position explicitly, Swift's sort is not documented stable), so the
/// phone keeps the very boxes the desktop keeps. No UI framework: type-checked.
enum DetectionPostProcess {
    /// `boxes`: [A, 4] flattened; `scores`: [A, C] flattened (C = scores.count / A); `labels`:
    /// the labels output ([A]) when the model has one.
    static func run(boxes: [Float], scores: [Float], spec: PostProcessSpec, labels: [Float]? = nil) -> [Detection] {
        let anchors = boxes.count / 4
        guard anchors > 0 else { return [] }
        let classes = scores.count / anchors
        guard classes > 0 else { return [] }
        if spec.hasLabels, let labels {
            // final per-box labels: threshold, best first (stable), cap
            let passing = (0..<anchors).filter { scores[$0 * classes] > spec.scoreThreshold }
            let keep = stableDescending(passing) { scores[$0 * classes] }.prefix(spec.maxDetections)
            return keep.map { Detection(box: box(boxes, $0), score: scores[$0 * classes], label: Int(labels[$0])) }
        }
        let s = activate(scores, anchors: anchors, classes: classes, activation: spec.activation)
        // candidates in np.nonzero order: anchor-major, then class
        var cand: [(anchor: Int, cls: Int)] = []
        let hasBackground = classes > 1 && spec.background >= 0 && spec.background < classes
        for a in 0..<anchors {
            for c in 0..<classes {
                if hasBackground && c == spec.background { continue }
                if s[a * classes + c] > spec.scoreThreshold { cand.append((anchor: a, cls: c)) }
            }
        }
        if spec.topkCandidates > 0 && !cand.isEmpty {
            // np.lexsort((-s, c)): by class, then best score first, then candidate order
            let order = cand.indices.sorted { i, j in
                let (a, b) = (cand[i], cand[j])
                if a.cls != b.cls { return a.cls < b.cls }
                let (sa, sb) = (s[a.anchor * classes + a.cls], s[b.anchor * classes + b.cls])
                if sa != sb { return sa > sb }
                return i < j
            }
            var rank: [Int: Int] = [:]
            var kept: [(anchor: Int, cls: Int)] = []
            for i in order {
                let r = rank[cand[i].cls, default: 0]
                rank[cand[i].cls] = r + 1
                if r < spec.topkCandidates { kept.append(cand[i]) }
            }
            cand = kept
        }
        if cand.isEmpty { return [] }
        let candScores = cand.map { s[$0.anchor * classes + $0.cls] }
        let candBoxes = cand.map { box(boxes, $0.anchor) }
        let candClasses = cand.map { spec.classAgnostic ? 0 : $0.cls }
        let keep = nms(candBoxes, candScores, candClasses, iouThreshold: spec.iouThreshold, limit: spec.maxDetections)
        return keep.map { Detection(box: candBoxes[$0], score: candScores[$0], label: cand[$0].cls) }
    }

    /// Greedy NMS (core.tasks.detection.nms): kept indices, best first, at most `limit`.
    static func nms(_ boxes: [[Float]], _ scores: [Float], _ classes: [Int], iouThreshold: Double, limit: Int) -> [Int] {
        let order = stableDescending(Array(scores.indices)) { scores[$0] }
        var alive = [Bool](repeating: true, count: order.count)
        var keep: [Int] = []
        for pos in order.indices {
            if !alive[pos] { continue }
            keep.append(order[pos])
            if keep.count >= limit { break }
            let mine = boxes[order[pos]]
            for later in (pos + 1)..<max(order.count, pos + 1) {
                if !alive[later] || classes[order[later]] != classes[order[pos]] { continue }
                if iou(mine, boxes[order[later]]) > iouThreshold { alive[later] = false }
            }
        }
        return keep
    }

    /// IoU in float64 (core.tasks.detection.iou_matrix); 0 when the union is empty.
    static func iou(_ a: [Float], _ b: [Float]) -> Double {
        let areaA = max(Double(a[2]) - Double(a[0]), 0) * max(Double(a[3]) - Double(a[1]), 0)
        let areaB = max(Double(b[2]) - Double(b[0]), 0) * max(Double(b[3]) - Double(b[1]), 0)
        let w = max(Double(min(a[2], b[2])) - Double(max(a[0], b[0])), 0)
        let h = max(Double(min(a[3], b[3])) - Double(max(a[1], b[1])), 0)
        let inter = w * h
        let union = areaA + areaB - inter
        return union > 0 ? inter / union : 0
    }

    /// The activation over each anchor's class scores, in float32 like numpy.
    static func activate(_ scores: [Float], anchors: Int, classes: Int, activation: String) -> [Float] {
        switch activation {
        case "softmax":
            var out = [Float](repeating: 0, count: scores.count)
            for a in 0..<anchors {
                var top = -Float.infinity
                for c in 0..<classes { top = max(top, scores[a * classes + c]) }
                var sum: Float = 0
                for c in 0..<classes {
                    let e = Float(exp(Double(scores[a * classes + c] - top)))
                    out[a * classes + c] = e
                    sum += e
                }
                for c in 0..<classes { out[a * classes + c] /= sum }
            }
            return out
        case "sigmoid":
            return scores.map { 1 / (1 + Float(exp(Double(-$0)))) }
        default:
            return scores
        }
    }

    /// `items` sorted by `key`, highest first; equal keys keep their order (numpy's stable
    /// argsort of the negated key).
    static func stableDescending(_ items: [Int], _ key: (Int) -> Float) -> [Int] {
        let keyed = items.enumerated().map { (pos: $0.offset, item: $0.element, key: key($0.element)) }
        return keyed.sorted { $0.key > $1.key || ($0.key == $1.key && $0.pos < $1.pos) }.map { $0.item }
    }

    private static func box(_ boxes: [Float], _ a: Int) -> [Float] {
        [boxes[a * 4], boxes[a * 4 + 1], boxes[a * 4 + 2], boxes[a * 4 + 3]]
    }

    /// The self-test's matched-box agreement (core.tasks.detection.matched_box_agreement): the
    /// desktop's boxes, best first, each take the free app box of the same class with the
    /// highest IoU >= 0.5; 2 x matches / (desktop boxes + app boxes), 1 when both are empty.
    static func agreement(_ found: [Detection], _ expected: [Detection]) -> Float {
        let total = found.count + expected.count
        if total == 0 { return 1 }
        var free = [Bool](repeating: true, count: found.count)
        var matches = 0
        for j in stableDescending(Array(expected.indices), { expected[$0].score }) {
            var best = -1
            var bestIou = -1.0
            for k in found.indices {
                let v = !free[k] || found[k].label != expected[j].label ? -1.0 : iou(expected[j].box, found[k].box)
                if v > bestIou {
                    bestIou = v
                    best = k
                }
            }
            if best >= 0 && bestIou >= 0.5 {
                free[best] = false
                matches += 1
            }
        }
        return 2 * Float(matches) / Float(total)
    }
}
