package {{ package_id }}

import kotlin.math.exp

/**
 * A detector's post-processing spec (core/tasks/detection.py PostProcess). [scoreThreshold]:
 * keep scores strictly above it (compared in float32, as numpy compares float32 scores);
 * [iouThreshold]: NMS drops a box whose IoU (float64) with a kept better box of its class is
 * above it; [background]: a score column that is never a detection (-1: none); [activation]:
 * "none", "softmax" (over classes) or "sigmoid"; [topkCandidates]: per class, the best scores
 * kept before NMS (0: all); [hasLabels]: the model outputs final per-box labels (then scores
 * are one per box and only the threshold and the cap apply).
 */
data class PostProcessSpec(
    val scoreThreshold: Float,
    val iouThreshold: Double,
    val maxDetections: Int,
    val background: Int,
    val activation: String,
    val classAgnostic: Boolean,
    val topkCandidates: Int,
    val hasLabels: Boolean = false,
)

/** One detection: [box] x0, y0, x1, y1 in input pixels, its [score] and class [label]. */
data class Detection(val box: FloatArray, val score: Float, val label: Int)

/**
 * core.tasks.detection.postprocess() for one sample, step by step and with the same
 * tie-breaking (stable sorts over the same candidate order), so the phone keeps the very
 * boxes the desktop keeps. Pure Kotlin: runs on the JVM in the project's tests.
 */
object DetectionPostProcess {
    /**
     * [boxes]: [A, 4] flattened; [scores]: [A, C] flattened (C = scores.size / A); [labels]:
     * the labels output ([A]) when the model has one.
     */
    fun run(boxes: FloatArray, scores: FloatArray, spec: PostProcessSpec, labels: FloatArray? = null): List<Detection> {
        val anchors = boxes.size / 4
        if (anchors == 0) return emptyList()
        val classes = scores.size / anchors
        if (spec.hasLabels && labels != null) {
            // final per-box labels: threshold, best first (stable), cap
            val keep = (0 until anchors).filter { scores[it * classes] > spec.scoreThreshold }
                .sortedWith(compareByDescending<Int> { scores[it * classes] })
                .take(spec.maxDetections)
            return keep.map { Detection(box(boxes, it), scores[it * classes], labels[it].toLong().toInt()) }
        }
        val s = activate(scores, anchors, classes, spec.activation)
        // candidates in np.nonzero order: anchor-major, then class
        var cand = ArrayList<IntArray>()  // (anchor, class)
        val hasBackground = classes > 1 && spec.background in 0 until classes
        for (a in 0 until anchors) for (c in 0 until classes) {
            if (hasBackground && c == spec.background) continue
            if (s[a * classes + c] > spec.scoreThreshold) cand.add(intArrayOf(a, c))
        }
        if (spec.topkCandidates > 0 && cand.isNotEmpty()) {
            // np.lexsort((-s, c)): by class, then best score first; stable
            val sorted = cand.sortedWith(compareBy<IntArray> { it[1] }.thenByDescending { s[it[0] * classes + it[1]] })
            val rank = HashMap<Int, Int>()
            cand = ArrayList(sorted.filter { val r = rank.getOrDefault(it[1], 0); rank[it[1]] = r + 1; r < spec.topkCandidates })
        }
        if (cand.isEmpty()) return emptyList()
        val candScores = FloatArray(cand.size) { s[cand[it][0] * classes + cand[it][1]] }
        val candBoxes = Array(cand.size) { box(boxes, cand[it][0]) }
        val candClasses = IntArray(cand.size) { if (spec.classAgnostic) 0 else cand[it][1] }
        val keep = nms(candBoxes, candScores, candClasses, spec.iouThreshold, spec.maxDetections)
        return keep.map { Detection(candBoxes[it], candScores[it], cand[it][1]) }
    }

    /** Greedy NMS (core.tasks.detection.nms): kept indices, best first, at most [limit]. */
    fun nms(boxes: Array<FloatArray>, scores: FloatArray, classes: IntArray, iouThreshold: Double, limit: Int): List<Int> {
        val order = scores.indices.sortedWith(compareByDescending<Int> { scores[it] })  // stable
        val alive = BooleanArray(order.size) { true }
        val keep = ArrayList<Int>()
        for (pos in order.indices) {
            if (!alive[pos]) continue
            keep.add(order[pos])
            if (keep.size >= limit) break
            val mine = boxes[order[pos]]
            for (later in pos + 1 until order.size) {
                if (!alive[later] || classes[order[later]] != classes[order[pos]]) continue
                if (iou(mine, boxes[order[later]]) > iouThreshold) alive[later] = false
            }
        }
        return keep
    }

    /** IoU in float64 (core.tasks.detection.iou_matrix); 0 when the union is empty. */
    fun iou(a: FloatArray, b: FloatArray): Double {
        val areaA = maxOf(a[2].toDouble() - a[0], 0.0) * maxOf(a[3].toDouble() - a[1], 0.0)
        val areaB = maxOf(b[2].toDouble() - b[0], 0.0) * maxOf(b[3].toDouble() - b[1], 0.0)
        val w = maxOf(minOf(a[2], b[2]).toDouble() - maxOf(a[0], b[0]), 0.0)
        val h = maxOf(minOf(a[3], b[3]).toDouble() - maxOf(a[1], b[1]), 0.0)
        val inter = w * h
        val union = areaA + areaB - inter
        return if (union > 0) inter / union else 0.0
    }

    /** The activation over each anchor's class scores, in float32 like numpy. */
    fun activate(scores: FloatArray, anchors: Int, classes: Int, activation: String): FloatArray = when (activation) {
        "softmax" -> FloatArray(scores.size).also { out ->
            for (a in 0 until anchors) {
                var max = Float.NEGATIVE_INFINITY
                for (c in 0 until classes) max = maxOf(max, scores[a * classes + c])
                var sum = 0f
                for (c in 0 until classes) {
                    val e = exp(scores[a * classes + c] - max)
                    out[a * classes + c] = e
                    sum += e
                }
                for (c in 0 until classes) out[a * classes + c] = out[a * classes + c] / sum
            }
        }
        "sigmoid" -> FloatArray(scores.size) { 1f / (1f + exp(-scores[it])) }
        else -> scores
    }

    private fun box(boxes: FloatArray, a: Int) = floatArrayOf(boxes[a * 4], boxes[a * 4 + 1], boxes[a * 4 + 2], boxes[a * 4 + 3])

    /**
     * The self-test's matched-box agreement (core.tasks.detection.matched_box_agreement): the
     * desktop's boxes, best first, each take the free app box of the same class with the
     * highest IoU >= 0.5; 2 x matches / (desktop boxes + app boxes), 1 when both are empty.
     */
    fun agreement(found: List<Detection>, expected: List<Detection>): Float {
        val total = found.size + expected.size
        if (total == 0) return 1f
        val free = BooleanArray(found.size) { true }
        var matches = 0
        for (j in expected.indices.sortedWith(compareByDescending<Int> { expected[it].score })) {
            var best = -1
            var bestIou = -1.0
            for (k in found.indices) {
                val v = if (!free[k] || found[k].label != expected[j].label) -1.0 else iou(expected[j].box, found[k].box)
                if (v > bestIou) { bestIou = v; best = k }
            }
            if (best >= 0 && bestIou >= 0.5) { free[best] = false; matches++ }
        }
        return 2f * matches / total
    }
}
