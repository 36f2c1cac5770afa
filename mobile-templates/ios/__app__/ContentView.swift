import PhotosUI
import SwiftUI

/// The screen: the image, the top-3 labels, the latency, the self-test and three buttons.
struct ContentView: View {
    @StateObject private var model = ClassifierModel()
    @State private var pickedItem: PhotosPickerItem?
    @State private var showCamera = false

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
                    predictions
                    stats
                    buttons
                }
                .padding()
            }
            .navigationTitle(AppInfo.appName)
        }
        .task { await model.runSample() }
        .onChange(of: pickedItem) { _, item in
            Task { await load(item) }
        }
        .sheet(isPresented: $showCamera) {
            CameraPicker { image in
                Task { await model.classify(image, source: "camera", isSample: false) }
            }
            .ignoresSafeArea()
        }
    }

    private var preview: some View {
        VStack(spacing: 4) {
            if let image = model.image {
                Image(uiImage: image)
                    .resizable()
                    .interpolation(.none)
                    .scaledToFit()
                    .frame(width: 168, height: 168)
                    .background(Color.black)
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

    private var stats: some View {
        HStack(alignment: .top) {
            VStack(alignment: .leading, spacing: 4) {
                Text("Median latency").font(.caption).foregroundStyle(.secondary)
                Text(model.latencyMs.map { String(format: "%.2f ms", $0) } ?? "–")
                    .font(.title3.bold())
                    .monospacedDigit()
                Text("\(AppInfo.benchmarkRuns) runs").font(.caption2).foregroundStyle(.secondary)
            }
            .frame(maxWidth: .infinity, alignment: .leading)
            VStack(alignment: .leading, spacing: 4) {
                Text("Self-test (bundled sample)").font(.caption).foregroundStyle(.secondary)
                if let test = model.selfTest {
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
            PhotosPicker(selection: $pickedItem, matching: .images) {
                Label("Choose image", systemImage: "photo")
            }
            .buttonStyle(.borderedProminent)
            Button {
                showCamera = true
            } label: {
                Label("Take photo", systemImage: "camera")
            }
            .buttonStyle(.bordered)
            .disabled(!UIImagePickerController.isSourceTypeAvailable(.camera))
            Button("Run sample") {
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
