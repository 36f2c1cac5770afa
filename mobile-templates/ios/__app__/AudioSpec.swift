import Foundation

/// Generated from preprocess.json's audio spec by {{ generator }}; re-export to change it.
/// {{ audio.describe }}: AudioFeatures.swift computes core/data/audio.py's features with these.
enum AudioSpec {
    static let settings = AudioSettings(
        sampleRate: {{ audio.sampleRate }},
        length: {{ audio.length }},
        mono: {{ "true" if audio.mono else "false" }},
{% if audio.logMel %}        logMel: LogMelSettings(
            nMels: {{ audio.logMel.nMels }},
            nFft: {{ audio.logMel.nFft }},
            hop: {{ audio.logMel.hop }},
            fmin: {{ audio.logMel.fmin }},
            fmax: {{ audio.logMel.fmax }}
        )
{% else %}        logMel: nil
{% endif %}    )

    /// The clip's length in seconds (what the app records).
    static let seconds: Double = Double(settings.length) / Double(settings.sampleRate)
}
