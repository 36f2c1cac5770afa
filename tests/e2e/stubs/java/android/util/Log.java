// Mirrors android.util.Log (API 35): static int i(String, String), e(String, String, Throwable).
package android.util;

public final class Log {
    public static int i(String tag, String msg) { throw new RuntimeException("Stub!"); }
    public static int e(String tag, String msg, Throwable tr) { throw new RuntimeException("Stub!"); }
}
