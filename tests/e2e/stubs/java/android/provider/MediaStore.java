// Mirrors android.provider.MediaStore (API 35): the constant ACTION_IMAGE_CAPTURE.
package android.provider;

public final class MediaStore {
    public static final String ACTION_IMAGE_CAPTURE = "android.media.action.IMAGE_CAPTURE";
}
