// Test harness: runs the generated AudioFeatures.swift (with the app's AudioSpec.swift) on
// the WAV files named in in.txt and writes their features to out.txt
// (tests/e2e/test_templates_ios_audio.py). Each input line: "<spec>\t<path>", where <spec>
// is "bundled" (AudioSpec.settings) or "rate length mono nMels nFft hop fmin fmax"
// (nMels 0: the waveform). Each output line: "rate channels f0 f1 ..." or "error <message>".
import Foundation

func settings(_ text: Substring) -> AudioSettings {
    if text == "bundled" { return AudioSpec.settings }
    let v = text.split(separator: " ")
    let mel = Int(v[3])! == 0 ? nil : LogMelSettings(
        nMels: Int(v[3])!, nFft: Int(v[4])!, hop: Int(v[5])!, fmin: Double(v[6])!, fmax: Double(v[7])!
    )
    return AudioSettings(sampleRate: Int(v[0])!, length: Int(v[1])!, mono: v[2] == "1", logMel: mel)
}

let args = CommandLine.arguments
let text = try! String(contentsOfFile: args[1], encoding: .utf8)
var out = ""
for line in text.split(separator: "\n") {
    let parts = line.split(separator: "\t")
    do {
        let data = try Data(contentsOf: URL(fileURLWithPath: String(parts[1])))
        let audio = try AudioFeatures.readWav(data)
        let features = AudioFeatures.features(audio, settings(parts[0]))
        out += "\(audio.rate) \(audio.channels.count) " + features.map { String($0) }.joined(separator: " ") + "\n"
    } catch let error as AudioError {
        out += "error " + (error.errorDescription ?? "?") + "\n"
    }
}
try! out.write(toFile: args[2], atomically: true, encoding: .utf8)
