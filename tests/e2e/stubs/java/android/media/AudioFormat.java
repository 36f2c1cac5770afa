// Mirrors android.media.AudioFormat (Android SDK, API 35; really Parcelable): the int constants
// ENCODING_PCM_16BIT = 2, ENCODING_PCM_FLOAT = 4, CHANNEL_IN_MONO = 16, CHANNEL_IN_STEREO = 12.
package android.media;

public final class AudioFormat {
    public static final int ENCODING_PCM_16BIT = 2;
    public static final int ENCODING_PCM_FLOAT = 4;
    public static final int CHANNEL_IN_MONO = 16;
    public static final int CHANNEL_IN_STEREO = 12;

    AudioFormat() { throw new RuntimeException("Stub!"); }
}
