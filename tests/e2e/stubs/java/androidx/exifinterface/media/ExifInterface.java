// Mirrors androidx.exifinterface.media.ExifInterface (androidx.exifinterface:exifinterface 1.3.7,
// Java): ExifInterface(InputStream) throws IOException, getRotationDegrees() (0/90/180/270,
// clockwise), isFlipped() (orientations 2, 4, 5, 7).
package androidx.exifinterface.media;

public class ExifInterface {
    public ExifInterface(java.io.InputStream inputStream) throws java.io.IOException { throw new RuntimeException("Stub!"); }
    public int getRotationDegrees() { throw new RuntimeException("Stub!"); }
    public boolean isFlipped() { throw new RuntimeException("Stub!"); }
}
