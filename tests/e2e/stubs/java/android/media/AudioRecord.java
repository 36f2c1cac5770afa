// Mirrors android.media.AudioRecord (Android SDK, API 35; really implements AudioRouting,
// MicrophoneDirection, AudioRecordingMonitor): the constructor AudioRecord(int audioSource,
// int sampleRateInHz, int channelConfig, int audioFormat, int bufferSizeInBytes) throws
// IllegalArgumentException (needs RECORD_AUDIO, else the instance is STATE_UNINITIALIZED),
// static getMinBufferSize(int, int, int), getState(), startRecording() and stop() throw
// IllegalStateException, read(byte[] audioData, int offsetInBytes, int sizeInBytes),
// read(short[] audioData, int offsetInShorts, int sizeInShorts), read(float[] audioData,
// int offsetInFloats, int sizeInFloats, int readMode) (API 23),
// release(); the constants STATE_UNINITIALIZED = 0, STATE_INITIALIZED = 1, SUCCESS = 0,
// ERROR = -1, ERROR_BAD_VALUE = -2, ERROR_INVALID_OPERATION = -3, ERROR_DEAD_OBJECT = -6.
// (read(float[], int, int, int) needs a readMode: the three-argument float read does not exist.)
package android.media;

public class AudioRecord {
    public static final int STATE_UNINITIALIZED = 0;
    public static final int STATE_INITIALIZED = 1;
    public static final int SUCCESS = 0;
    public static final int ERROR = -1;
    public static final int ERROR_BAD_VALUE = -2;
    public static final int ERROR_INVALID_OPERATION = -3;
    public static final int ERROR_DEAD_OBJECT = -6;

    public AudioRecord(int audioSource, int sampleRateInHz, int channelConfig, int audioFormat, int bufferSizeInBytes)
            throws IllegalArgumentException {
        throw new RuntimeException("Stub!");
    }

    public static int getMinBufferSize(int sampleRateInHz, int channelConfig, int audioFormat) { throw new RuntimeException("Stub!"); }
    public int getState() { throw new RuntimeException("Stub!"); }
    public void startRecording() throws IllegalStateException { throw new RuntimeException("Stub!"); }
    public void stop() throws IllegalStateException { throw new RuntimeException("Stub!"); }
    public int read(byte[] audioData, int offsetInBytes, int sizeInBytes) { throw new RuntimeException("Stub!"); }
    public int read(short[] audioData, int offsetInShorts, int sizeInShorts) { throw new RuntimeException("Stub!"); }
    public int read(float[] audioData, int offsetInFloats, int sizeInFloats, int readMode) { throw new RuntimeException("Stub!"); }
    public void release() { throw new RuntimeException("Stub!"); }
}
