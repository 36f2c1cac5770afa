// Mirrors android.graphics.ImageDecoder (API 28+; applies the EXIF orientation of JPEG/HEIF
// itself): static createSource(ContentResolver, Uri): Source, static decodeBitmap(Source,
// OnHeaderDecodedListener): Bitmap throws IOException, setAllocator(int), ALLOCATOR_SOFTWARE,
// setTargetSampleSize(int), ImageInfo.getSize(): Size, the interface OnHeaderDecodedListener.
package android.graphics;

public final class ImageDecoder implements AutoCloseable {
    public static final int ALLOCATOR_SOFTWARE = 1;

    private ImageDecoder() { throw new RuntimeException("Stub!"); }

    public abstract static class Source {
        private Source() { throw new RuntimeException("Stub!"); }
    }

    public static class ImageInfo {
        private ImageInfo() { throw new RuntimeException("Stub!"); }
        public android.util.Size getSize() { throw new RuntimeException("Stub!"); }
    }

    public interface OnHeaderDecodedListener {
        void onHeaderDecoded(ImageDecoder decoder, ImageInfo info, Source source);
    }

    public static Source createSource(android.content.ContentResolver cr, android.net.Uri uri) {
        throw new RuntimeException("Stub!");
    }
    public static Bitmap decodeBitmap(Source src, OnHeaderDecodedListener listener) throws java.io.IOException {
        throw new RuntimeException("Stub!");
    }
    public void setAllocator(int allocator) { throw new RuntimeException("Stub!"); }
    public void setTargetSampleSize(int sampleSize) { throw new RuntimeException("Stub!"); }
    @Override public void close() { throw new RuntimeException("Stub!"); }
}
