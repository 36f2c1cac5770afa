// Mirrors android.os.Build (API 35): Build.VERSION.SDK_INT and Build.VERSION_CODES.P (28).
package android.os;

public class Build {
    public static class VERSION {
        public static final int SDK_INT = 0;
    }

    public static class VERSION_CODES {
        public static final int P = 28;
    }
}
