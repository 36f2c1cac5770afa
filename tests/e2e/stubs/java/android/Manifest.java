// Mirrors android.Manifest (Android SDK, API 35): `public final class Manifest` with the nested
// `public static final class permission` of String constants; only RECORD_AUDIO
// ("android.permission.RECORD_AUDIO", a dangerous permission granted at run time) is used.
package android;

public final class Manifest {
    public Manifest() { throw new RuntimeException("Stub!"); }

    public static final class permission {
        public permission() { throw new RuntimeException("Stub!"); }

        public static final String RECORD_AUDIO = "android.permission.RECORD_AUDIO";
    }
}
