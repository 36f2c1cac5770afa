// Mirrors androidx.activity.result.contract.ActivityResultContracts (activity 1.10.1):
// GetContent : ActivityResultContract<String, Uri?> and
// TakePicturePreview : ActivityResultContract<Void?, Bitmap?> (nullable outputs: the user may cancel).
package androidx.activity.result.contract;

public final class ActivityResultContracts {
    public static class GetContent extends ActivityResultContract<String, android.net.Uri> {
        public GetContent() { throw new RuntimeException("Stub!"); }
    }

    public static class TakePicturePreview extends ActivityResultContract<Void, android.graphics.Bitmap> {
        public TakePicturePreview() { throw new RuntimeException("Stub!"); }
    }
}
