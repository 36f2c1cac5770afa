// Test harness: runs the generated Detection.swift / Segmentation.swift on
// the lines of in.txt and writes out.txt (tests/e2e/test_templates_ios_tasks.py).
import Foundation

func floats(_ line: Substring) -> [Float] {
    line.split(separator: " ").map { Float(bitPattern: UInt32($0)!) }
}

let args = CommandLine.arguments
let text = try! String(contentsOfFile: args[1], encoding: .utf8)
let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
var out = ""
if lines[0] == "segmentation" {
    let mask = SegmentationMask.argmax(floats(lines[1]), classes: Int(lines[2])!)
    out += mask.map { String($0) }.joined(separator: " ") + "\n"
    let want = lines[3].split(separator: " ").map { Int($0)! }
    out += String(SegmentationMask.agreement(mask, want)) + "\n"
} else {
    var i = 1
    while i + 2 < lines.count {
        let p = lines[i].split(separator: " ")
        let spec = PostProcessSpec(
            scoreThreshold: Float(bitPattern: UInt32(p[0])!), iouThreshold: Double(p[1])!,
            maxDetections: Int(p[2])!, background: Int(p[3])!, activation: String(p[4]),
            classAgnostic: p[5] == "1", topkCandidates: Int(p[6])!
        )
        let dets = DetectionPostProcess.run(boxes: floats(lines[i + 1]), scores: floats(lines[i + 2]), spec: spec)
        out += dets.map { d in
            "\(d.label) \(d.score.bitPattern) " + d.box.map { String($0.bitPattern) }.joined(separator: " ")
        }.joined(separator: ";") + "\n"
        i += 3
    }
}
try! out.write(toFile: args[2], atomically: true, encoding: .utf8)
