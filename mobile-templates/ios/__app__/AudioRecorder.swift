import AVFoundation
import Foundation

/// Records one clip from the microphone: 16-bit mono PCM WAV at the model's rate
/// ({{ audio.sampleRate }} Hz), as long as the model's clip ({{ audio.length }} samples).
/// Info.plist's NSMicrophoneUsageDescription (a build setting of the target) says why.
@MainActor
final class AudioRecorder: NSObject, AVAudioRecorderDelegate {
    private var recorder: AVAudioRecorder?
    private var continuation: CheckedContinuation<URL, Error>?

    /// The recorded file (a temporary .wav), once the clip's length has been recorded.
    func record() async throws -> URL {
        guard await AVAudioApplication.requestRecordPermission() else {
            throw AudioError.microphone("microphone access was denied (Settings > Privacy > Microphone)")
        }
        let session = AVAudioSession.sharedInstance()
        try session.setCategory(.record, mode: .measurement)
        try session.setActive(true)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recording.wav")
        let settings: [String: Any] = [
            AVFormatIDKey: Int(kAudioFormatLinearPCM),
            AVSampleRateKey: Double(AudioSpec.settings.sampleRate),
            AVNumberOfChannelsKey: 1,
            AVLinearPCMBitDepthKey: 16,
            AVLinearPCMIsFloatKey: false,
            AVLinearPCMIsBigEndianKey: false,
            AVLinearPCMIsNonInterleaved: false,
        ]
        let recorder = try AVAudioRecorder(url: url, settings: settings)
        recorder.delegate = self
        self.recorder = recorder
        return try await withCheckedThrowingContinuation { continuation in
            self.continuation = continuation
            if !recorder.record(forDuration: AudioSpec.seconds) {
                self.finish(nil)
            }
        }
    }

    nonisolated func audioRecorderDidFinishRecording(_ recorder: AVAudioRecorder, successfully flag: Bool) {
        let url = flag ? recorder.url : nil
        Task { @MainActor in self.finish(url) }
    }

    private func finish(_ url: URL?) {
        try? AVAudioSession.sharedInstance().setActive(false)
        recorder = nil
        guard let continuation else { return }
        self.continuation = nil
        if let url {
            continuation.resume(returning: url)
        } else {
            continuation.resume(throwing: AudioError.microphone("the recorder stopped before the clip was complete"))
        }
    }
}
