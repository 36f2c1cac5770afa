// Mirrors android.media.MediaRecorder (Android SDK, API 35) as far as the app uses it: the
// nested `public final class AudioSource` (private constructor) with the int constants
// DEFAULT = 0, MIC = 1, VOICE_RECOGNITION = 6, UNPROCESSED = 9 (API 24).
package android.media;

public class MediaRecorder {
    public final class AudioSource {
        private AudioSource() { throw new RuntimeException("Stub!"); }

        public static final int DEFAULT = 0;
        public static final int MIC = 1;
        public static final int VOICE_RECOGNITION = 6;
        public static final int UNPROCESSED = 9;
    }
}
