package {{ package_id }}

import android.media.AudioFormat
import android.media.AudioRecord
import android.media.MediaRecorder

/**
 * The microphone: [length] samples of 16-bit mono PCM at [sampleRate] Hz (AudioRecord), as
 * floats x / 32768 (what read_wav gives for a 16-bit WAV file of the same samples). The caller
 * holds the RECORD_AUDIO permission. Runs on a worker thread: it blocks for the clip's length.
 */
object AudioCapture {
    fun record(sampleRate: Int, length: Int): Recording {
        val channel = AudioFormat.CHANNEL_IN_MONO
        val encoding = AudioFormat.ENCODING_PCM_16BIT
        val minBytes = AudioRecord.getMinBufferSize(sampleRate, channel, encoding)
        if (minBytes <= 0) {
            throw IllegalStateException("this device cannot record 16-bit mono at $sampleRate Hz (getMinBufferSize: $minBytes)")
        }
        val recorder = AudioRecord(MediaRecorder.AudioSource.MIC, sampleRate, channel, encoding, maxOf(minBytes, 8192))
        try {
            if (recorder.state != AudioRecord.STATE_INITIALIZED) {
                throw IllegalStateException("the microphone could not be opened (is it in use, or the permission revoked?)")
            }
            val pcm = ShortArray(length)
            recorder.startRecording()
            var got = 0
            while (got < length) {
                val n = recorder.read(pcm, got, length - got)
                if (n < 0) throw IllegalStateException("AudioRecord.read failed ($n)")
                if (n == 0) break  // the stream ended: the rest stays silent
                got += n
            }
            recorder.stop()
            return Recording(listOf(FloatArray(length) { pcm[it] / 32768f }), sampleRate)
        } finally {
            recorder.release()
        }
    }
}
