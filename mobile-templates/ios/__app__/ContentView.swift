import PhotosUI
import SwiftUI
{% if audio %}import UniformTypeIdentifiers
{% endif %}
/// The screen: the {{ "recording" if audio else "image" }}, the top-3 labels, the latency, the self-test and three buttons.
struct ContentView: View {
    @StateObject private var model = ClassifierModel()
    @State private var pickedItem: PhotosPickerItem?
    @State private var showCamera = false
{% if audio %}    @State private var pickWav = false
{% endif %}
    var body: some View {
        NavigationStack {
            ScrollView {
                VStack(alignment: .leading, spacing: 18) {
                    Text(AppInfo.runtime)
                        .font(.footnote)
                        .foregroundStyle(.secondary)
                    Text(model.status)
                        .font(.callout)
                    preview
                    if TaskSpec.kind == "classification" || TaskSpec.kind == "audio" {
                        predictions
                    } else {
                        taskResult
                    }
                    stats
                    buttons
                }
                .padding()
            }
            .navigationTitle(AppInfo.appName)
        }
        .task {
            await model.runSample()
{%- if runtime == "onnxruntime" %}
            await model.showProvider()
{%- endif %}
        }
        .onChange(of: pickedItem) { _, item in
            Task { await load(item) }
        }
{% if audio %}        .fileImporter(isPresented: $pickWav, allowedContentTypes: [.wav]) { result in
            if case .success(let url) = result {
                Task { await model.classifyAudio(url, source: url.lastPathComponent, isSample: false) }
            }
        }
{% endif %}        .sheet(isPresented: $showCamera) {
            CameraPicker { image in
                Task { await model.classify(image, source: "camera", isSample: false) }
            }
            .ignoresSafeArea()
        }
    }

    private var preview: some View {
        VStack(spacing: 4) {
            if let image = (TaskSpec.kind == "segmentation" ? model.maskImage : nil) ?? model.image {
                Image(uiImage: image)
                    .resizable()
                    .interpolation(.none)
                    .scaledToFit()
                    .frame(width: 168, height: 168)
                    .background(Color.black)
                    .overlay { if TaskSpec.kind == "detection" { boxes } }
                    .clipShape(RoundedRectangle(cornerRadius: 10))
            }
            Text(model.source)
                .font(.caption)
                .foregroundStyle(.secondary)
        }
        .frame(maxWidth: .infinity)
    }

    private var predictions: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text("TOP 3")
                .font(.caption)
                .foregroundStyle(.secondary)
            ForEach(model.top) { prediction in
                HStack {
                    Text(prediction.label)
                        .lineLimit(2)
                        .frame(maxWidth: .infinity, alignment: .leading)
                    ProgressView(value: Double(prediction.probability))
                        .frame(maxWidth: .infinity)
                    Text(String(format: "%.1f%%", prediction.probability * 100))
                        .monospacedDigit()
                        .foregroundStyle(.secondary)
                        .frame(width: 64, alignment: .trailing)
                }
            }
        }
    }

    /// Detection: each box (input pixels, scaled to the preview) with its label and score.
    private var boxes: some View {
        GeometryReader { geo in
            let sx = geo.size.width / CGFloat(Preprocess.width)
            let sy = geo.size.height / CGFloat(Preprocess.height)
            ForEach(Array(model.detections.enumerated()), id: \.offset) { _, d in
                let rect = CGRect(
                    x: CGFloat(d.box[0]) * sx, y: CGFloat(d.box[1]) * sy,
                    width: CGFloat(d.box[2] - d.box[0]) * sx, height: CGFloat(d.box[3] - d.box[1]) * sy
                )
                Rectangle()
                    .stroke(color(SegmentationMask.color(d.label + 1)), lineWidth: 2)
                    .frame(width: rect.width, height: rect.height)
                    .position(x: rect.midX, y: rect.midY)
                Text(String(format: "%@ %.2f", name(d.label), Double(d.score)))
                    .font(.caption2.bold())
                    .foregroundStyle(.white)
                    .background(color(SegmentationMask.color(d.label + 1)))
                    .position(x: rect.minX + 24, y: max(rect.minY - 6, 6))
            }
        }
    }

    /// Segmentation: the legend (classes in the mask, most pixels first); detection: the list
    /// of boxes; both with the self-test's agreement with the desktop.
    private var taskResult: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text(TaskSpec.kind == "segmentation" ? "LEGEND" : TaskSpec.kind == "detection" ? "DETECTIONS" : "OUTPUTS")
                .font(.caption)
                .foregroundStyle(.secondary)
            if TaskSpec.kind == "tensors" {
                ForEach(Array((model.taskTest?.top ?? []).enumerated()), id: \.offset) { _, t in
                    HStack {
                        Text(name(t.index)).frame(maxWidth: .infinity, alignment: .leading)
                        Text(String(format: "%.1f%%", Double(t.probability) * 100)).monospacedDigit()
                    }
                }
                ForEach(Array((model.taskTest?.outputs ?? []).enumerated()), id: \.offset) { _, o in
                    VStack(alignment: .leading, spacing: 2) {
                        Text("\(o.name) (\(o.count) values)").font(.callout)
                        Text(o.first.map { String(format: "%.4g", Double($0)) }.joined(separator: ", "))
                            .font(.caption2.monospaced())
                            .foregroundStyle(.secondary)
                        Text(String(format: "max diff %.2e, cosine %.6f", Double(o.maxDiff), Double(o.cosine)))
                            .font(.caption2)
                            .foregroundStyle(o.within ? Color.green : Color.red)
                    }
                }
            } else if TaskSpec.kind == "segmentation" {
                ForEach(Array(model.legend.enumerated()), id: \.offset) { _, entry in
                    HStack {
                        RoundedRectangle(cornerRadius: 3).fill(color(entry.color)).frame(width: 14, height: 14)
                        Text(entry.label).frame(maxWidth: .infinity, alignment: .leading)
                        Text("\(entry.pixels) px").monospacedDigit().foregroundStyle(.secondary)
                    }
                }
            } else {
                ForEach(Array(model.detections.enumerated()), id: \.offset) { _, d in
                    Text(String(format: "%@  %.2f  [%.0f, %.0f, %.0f, %.0f]", name(d.label), Double(d.score),
                                Double(d.box[0]), Double(d.box[1]), Double(d.box[2]), Double(d.box[3])))
                        .font(.caption)
                        .monospacedDigit()
                }
            }
        }
    }

    private func name(_ label: Int) -> String {
        label >= 0 && label < model.labels.count ? model.labels[label] : String(label)
    }

    private func color(_ rgb: UInt32) -> Color {
        Color(
            red: Double((rgb >> 16) & 0xFF) / 255, green: Double((rgb >> 8) & 0xFF) / 255,
            blue: Double(rgb & 0xFF) / 255
        )
    }

    private var stats: some View {
        HStack(alignment: .top) {
            VStack(alignment: .leading, spacing: 4) {
                Text("Median latency").font(.caption).foregroundStyle(.secondary)
                Text(model.latencyMs.map { String(format: "%.2f ms", $0) } ?? "–")
                    .font(.title3.bold())
                    .monospacedDigit()
                Text("\(AppInfo.benchmarkRuns) runs").font(.caption2).foregroundStyle(.secondary)
{%- if runtime == "onnxruntime" %}
                // the ONNX Runtime execution provider that runs the model (CPU after a fallback)
                Text(model.provider ?? "–").font(.caption2).foregroundStyle(.secondary)
{%- endif %}
            }
            .frame(maxWidth: .infinity, alignment: .leading)
            VStack(alignment: .leading, spacing: 4) {
                Text("Self-test (bundled sample)").font(.caption).foregroundStyle(.secondary)
                if let test = model.taskTest, let passed = test.passed {
                    Text(passed ? "passed" : "failed")
                        .font(.title3.bold())
                        .foregroundStyle(passed ? Color.green : Color.red)
                    Text(test.detail)
                        .font(.caption2)
                        .foregroundStyle(.secondary)
                } else if let test = model.selfTest {
                    Text(test.passed ? "passed" : "failed")
                        .font(.title3.bold())
                        .foregroundStyle(test.passed ? Color.green : Color.red)
                    Text(test.detail)
                        .font(.caption2)
                        .foregroundStyle(.secondary)
                    // why this tolerance (fp32: absolute; int8 / float16: top-1 + relative)
                    Text(test.tolerance.reason ?? "")
                        .font(.caption2)
                        .foregroundStyle(.secondary)
                } else {
                    Text("pending").font(.title3).foregroundStyle(.secondary)
                }
            }
            .frame(maxWidth: .infinity, alignment: .leading)
        }
    }

    private var buttons: some View {
        HStack {
{% if audio %}            Button {
                pickWav = true
            } label: {
                Label("Choose WAV", systemImage: "waveform")
            }
            .buttonStyle(.borderedProminent)
            Button {
                Task { await model.record() }
            } label: {
                Label(model.recording ? "Recording…" : "Record", systemImage: "mic")
            }
            .buttonStyle(.bordered)
            .disabled(model.recording)
{% else %}
            PhotosPicker(selection: $pickedItem, matching: .images) {
                Label("Choose image", systemImage: "photo")
            }
            .buttonStyle(.borderedProminent)
            .disabled(TaskSpec.feedsTensors)
            Button {
                showCamera = true
            } label: {
                Label("Take photo", systemImage: "camera")
            }
            .buttonStyle(.bordered)
            .disabled(TaskSpec.feedsTensors || !UIImagePickerController.isSourceTypeAvailable(.camera))
{% endif %}            Button("Run sample") {
                Task { await model.runSample() }
            }
            .buttonStyle(.bordered)
        }
    }

    private func load(_ item: PhotosPickerItem?) async {
        guard let item,
              let data = try? await item.loadTransferable(type: Data.self),
              let image = UIImage(data: data)
        else { return }
        await model.classify(image, source: "gallery", isSample: false)
    }
}
