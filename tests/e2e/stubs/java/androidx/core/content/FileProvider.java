// Mirrors androidx.core.content.FileProvider (androidx.core:core 1.13.1, Java): static
// getUriForFile(Context, String authority, File): Uri (@NonNull). Declared in the manifest as a
// <provider> with android.support.FILE_PROVIDER_PATHS meta-data.
package androidx.core.content;

public class FileProvider {
    public static android.net.Uri getUriForFile(android.content.Context context, String authority, java.io.File file) {
        throw new RuntimeException("Stub!");
    }
}
